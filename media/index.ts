/** The media server's public surface for the rest of Switchboard (main thread). */
export { MediaServer, MediaOverloadError, type MediaServerOptions, type WorkerHealth } from './media-server.js';
export { MediaSession } from './media-session.js';
export { Endpoint, type EndpointEvents } from './endpoint-handle.js';
export { PcmPlaybackHandle } from './pcm-playback.js';
export { PlaybackHandle, RecordingHandle, MixerHandle, type MixerHandleOptions } from './session-handles.js';
export type { WorkerObjectCounts } from './worker/protocol.js';
export { SdpNegotiationError } from './types.js';
export type { CodecName, DtmfEvent, EndpointKind, OpusPcmRate, SdpOptions } from './types.js';

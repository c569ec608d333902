/** Messages between the main thread and a media worker (structured-clone safe). */
import type { Config } from '../../config/schema.js';
import type { CodecName, DtmfEvent, EndpointKind, OpusPcmRate } from '../types.js';
import type { MixerPartyOptions } from '../mixer.js';

export interface WorkerInit {
  index: number;
  rtp: { address: string; advertisedAddress: string; portMin: number; portMax: number };
  jitterBufferMs: number;
  rtpTimeoutMs: number;
  inbandDtmf: boolean;
  /** UDP ports werift may use for ICE (a slice apart from the RTP pairs); undefined = ephemeral. */
  icePortRange?: [number, number];
  webrtc: Config['webrtc'];
  logLevel: string;
}

export type PlaySourceMsg = { file: string } | { tone: string };

export interface Ops {
  createSession: [{ sessionId: string }, void];
  closeSession: [{ sessionId: string }, void];
  /** With `offer`, answers the new endpoint's offer (as createOffer would) in the same round trip. */
  createEndpoint: [
    { sessionId: string; endpointId: string; kind: EndpointKind; offer?: boolean; maxPlaybackRate?: OpusPcmRate },
    string | undefined,
  ];
  closeEndpoint: [{ endpointId: string }, void];
  answer: [{ endpointId: string; sdp: string; maxPlaybackRate?: OpusPcmRate }, string];
  createOffer: [{ endpointId: string; codecs?: CodecName[]; maxPlaybackRate?: OpusPcmRate }, string];
  setRemoteAnswer: [{ endpointId: string; sdp: string }, void];
  sendDtmf: [{ endpointId: string; digit: string; durationMs: number }, void];
  injectDtmf: [{ endpointId: string; event: DtmfEvent }, void];
  bridge: [{ sessionId: string; a: string; b: string }, void];
  unbridge: [{ sessionId: string; a: string; b: string }, void];
  echo: [{ sessionId: string; endpointId: string }, void];
  play: [{ sessionId: string; playbackId: string; endpointId: string; source: PlaySourceMsg; loop: boolean }, void];
  stopPlay: [{ playbackId: string }, void];
  /** A playback of PCM the main thread sends in pieces (TTS); ends after `pcmEnd` once drained. */
  playPcm: [{ sessionId: string; playbackId: string; endpointId: string; sampleRate: number }, void];
  pcmData: [{ playbackId: string; samples: Int16Array }, void];
  pcmEnd: [{ playbackId: string }, void];
  record: [
    { sessionId: string; recordingId: string; path: string; endpointIds: string[]; sampleRate: number; silenceMs?: number },
    void,
  ];
  stopRecord: [{ recordingId: string }, { path: string; durationMs: number }];
  createMixer: [{ sessionId: string; mixerId: string; sampleRate?: number }, void];
  mixerAdd: [{ mixerId: string; endpointId: string; opts: MixerPartyOptions }, void];
  mixerUpdate: [{ mixerId: string; endpointId: string; opts: MixerPartyOptions }, void];
  mixerRemove: [{ mixerId: string; endpointId: string }, void];
  mixerClose: [{ mixerId: string }, void];
  /** `gc`: collect garbage first (lifecycle checks). */
  stats: [{ gc?: boolean }, WorkerObjectCounts];
}
export type OpName = keyof Ops;

export interface WorkerObjectCounts {
  sessions: number;
  endpoints: number;
  bridges: number;
  echoes: number;
  players: number;
  recorders: number;
  mixers: number;
  portsInUse: number;
  /** V8 heap of the worker thread, bytes. */
  heapUsed: number;
  /** Handles and requests keeping the worker's event loop alive (sockets, timers, ...). */
  activeResources: number;
}

export interface RequestMsg<K extends OpName = OpName> {
  kind: 'req';
  id: number;
  op: K;
  args: Ops[K][0];
}

export type ResponseMsg =
  | { kind: 'res'; id: number; ok: true; result: unknown; portsInUse: number }
  | { kind: 'res'; id: number; ok: false; error: { name: string; message: string }; portsInUse: number };

export type TargetEvent =
  | { name: 'dtmf'; args: [DtmfEvent] }
  | { name: 'failed'; args: [string] }
  | { name: 'closed'; args: [] }
  | { name: 'ended'; args: [{ reason: string }] }
  | { name: 'recorded'; args: [{ path: string; durationMs: number }] }
  | { name: 'silence'; args: [{ atMs: number }] };

export interface EventMsg {
  kind: 'event';
  /** Id of the endpoint, session, playback or recording the event belongs to. */
  target: string;
  event: TargetEvent;
}

export interface LoadMsg {
  kind: 'load';
  /** Event-loop utilisation of the worker over the last interval (0..1). */
  elu: number;
  /** Median timer lateness over the last interval, ms. */
  lagMs: number;
  counts: WorkerObjectCounts;
}

/** Sent once, when the worker has loaded its modules and warmed its codecs: it can take calls. */
export interface ReadyMsg {
  kind: 'ready';
}

export type FromWorker = ResponseMsg | EventMsg | LoadMsg | ReadyMsg;

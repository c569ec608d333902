/**
 * One-time work a media worker does before it says it is ready: loading libopus, compiling the
 * codec and resampler paths, and werift's DTLS certificate (one per thread, shared by every
 * WebRTC endpoint here). Done inside the first call instead, it blocks the event loop for
 * hundreds of milliseconds; the load report taken over that stretch reads like saturation, and
 * admission refuses the calls that follow (SIP 503) on a worker that is idle.
 */
import { RTCDtlsTransport } from 'werift';
import { createDecoder, createEncoder, Resampler } from '../codecs/index.js';
import type { CodecSpec } from '../types.js';

const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const FRAMES = 5;

function speechLikeFrame(rate: number, n: number): Int16Array {
  const out = new Int16Array((rate * 20) / 1000);
  for (let i = 0; i < out.length; i++) {
    const t = (n * out.length + i) / rate;
    out[i] = Math.round(
      4000 * Math.sin(2 * Math.PI * 180 * t) + 2000 * Math.sin(2 * Math.PI * 720 * t) + 800 * Math.sin(2 * Math.PI * 2300 * t),
    );
  }
  return out;
}

function exerciseCodec(spec: CodecSpec, pcmRate: number): void {
  const enc = createEncoder(spec, { pcmRate });
  const dec = createDecoder(spec, { pcmRate });
  try {
    for (let n = 0; n < FRAMES; n++) dec.decode(enc.encode(speechLikeFrame(pcmRate, n)));
    dec.conceal();
  } finally {
    enc.close();
    dec.close();
  }
}

export async function warmUp(): Promise<void> {
  exerciseCodec(OPUS, 48000);
  exerciseCodec(OPUS, 8000);
  exerciseCodec(PCMU, 8000);
  const up = new Resampler(8000, 48000);
  const down = new Resampler(48000, 8000);
  for (let n = 0; n < FRAMES; n++) down.process(up.process(speechLikeFrame(8000, n)));
  await RTCDtlsTransport.SetupCertificate();
}

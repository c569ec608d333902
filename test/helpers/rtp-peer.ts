/**
 * An RTP peer in a child process: sends a known tone (PCMU, PCMA or Opus) and optionally RFC 4733
 * digits to a given address, and records every packet it receives. The parent drives it over IPC
 * through `RtpPeer`; the child part runs when this file is started with `--child`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createDecoder, createEncoder } from '../../media/codecs/index.js';
import { dtmfFrequencies, rfc4733Packets } from '../../media/dtmf.js';
import type { CodecSpec } from '../../media/types.js';

export interface PeerSendOptions {
  remote: { address: string; port: number };
  codec: CodecSpec;
  toneHz: number;
  durationMs: number;
  amplitude?: number;
  /** A DTMF digit as its two tones in the audio, from `atMs` for 120 ms (peers without RFC 4733). */
  inband?: { digit: string; atMs: number };
  /** Skip (do not send) every frame whose index is in this list: simulated loss. */
  drop?: number[];
  /** Send the frames whose index is a key this many ms after their time: simulated reordering. */
  lateMs?: Record<number, number>;
  /** RFC 4733 digit sent `atMs` after the start (audio pauses while it plays). */
  dtmf?: { digit: string; payloadType: number; clockRate: number; atMs: number; durationMs?: number };
}

export interface ReceivedPacket {
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  marker: boolean;
  payloadHex: string;
  atMs: number;
}

export interface PeerReport {
  packets: ReceivedPacket[];
  sentPayloadsHex: string[];
  /** Decoded audio of the packets with `decodeAs`'s payload type, mono at `rate`. */
  pcm: number[];
  rate: number;
}

type ToChild =
  | { cmd: 'send'; opts: PeerSendOptions }
  | { cmd: 'report'; decodeAs?: CodecSpec; pcmRate?: number }
  | { cmd: 'reset' };
type FromChild = { type: 'bound'; port: number } | { type: 'sent' } | { type: 'report'; report: PeerReport };

export class RtpPeer {
  readonly port: number;
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
  }

  /** `host`: the loopback address to bind (a carrier's media lives on its own address, e.g. 127.0.0.2). */
  static async start(host = '127.0.0.1'): Promise<RtpPeer> {
    // Without tap's loaders (its --import hooks in execArgv and NODE_OPTIONS): they cost seconds
    // of start-up per peer and this plain script needs none of them.
    const child = fork(fileURLToPath(import.meta.url), ['--child', host], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: FromChild) => (m.type === 'bound' ? resolve(m.port) : reject(new Error('unexpected'))));
      child.once('exit', (code) => reject(new Error(`rtp peer exited ${code}`)));
    });
    return new RtpPeer(child, port);
  }

  private request<T extends FromChild['type']>(msg: ToChild, reply: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: FromChild): void => {
        if (m.type !== reply) return;
        this.child.off('message', onMsg);
        this.child.off('exit', onExit);
        resolve(m as Extract<FromChild, { type: T }>);
      };
      const onExit = (): void => reject(new Error('rtp peer exited'));
      this.child.on('message', onMsg);
      this.child.once('exit', onExit);
      this.child.send(msg);
    });
  }

  /** Resolves when the last packet went out. */
  async send(opts: PeerSendOptions): Promise<void> {
    await this.request({ cmd: 'send', opts }, 'sent');
  }

  async report(decodeAs?: CodecSpec, pcmRate?: number): Promise<PeerReport> {
    return (await this.request({ cmd: 'report', decodeAs, pcmRate }, 'report')).report;
  }

  /**
   * Asks for reports until `pred` holds (media in flight has arrived) or `timeoutMs` passes, then
   * returns a report decoded as asked; the test asserts on that report either way.
   */
  async reportWhen(
    pred: (r: PeerReport) => boolean,
    opts: { decodeAs?: CodecSpec; pcmRate?: number; timeoutMs?: number } = {},
  ): Promise<PeerReport> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3000);
    while (!pred(await this.report()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 30));
    return this.report(opts.decodeAs, opts.pcmRate);
  }

  /** Forgets what was received so far. */
  reset(): void {
    this.child.send({ cmd: 'reset' } satisfies ToChild);
  }

  /** Kills the peer (it also exits by itself when this process dies: its IPC channel closes). */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

// ---- child side ----

function runChild(host: string): void {
  const sock = dgram.createSocket('udp4');
  const received: ReceivedPacket[] = [];
  const sent: string[] = [];
  const t0 = Date.now();
  sock.on('message', (m) => {
    if (m.length < 12 || (m[0] & 0xc0) !== 0x80) return;
    const pt = m[1] & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP on a muxed port
    const cc = m[0] & 0x0f;
    let off = 12 + cc * 4;
    if (m[0] & 0x10) off += 4 + m.readUInt16BE(off + 2) * 4;
    let end = m.length;
    if (m[0] & 0x20) end -= m[m.length - 1];
    received.push({
      pt,
      seq: m.readUInt16BE(2),
      ts: m.readUInt32BE(4),
      ssrc: m.readUInt32BE(8),
      marker: (m[1] & 0x80) !== 0,
      payloadHex: m.subarray(off, end).toString('hex'),
      atMs: Date.now() - t0,
    });
  });
  sock.bind(0, host, () => process.send?.({ type: 'bound', port: sock.address().port } satisfies FromChild));

  const header = (pt: number, seq: number, ts: number, marker: boolean): Buffer => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | pt;
    h.writeUInt16BE(seq & 0xffff, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(0x1234abcd, 8);
    return h;
  };

  // Like a phone, one stream: numbering continues across bursts.
  let seq = 1000;
  let ts = 5000;
  const send = (o: PeerSendOptions): void => {
    const pcmRate = o.codec.name === 'opus' ? 48000 : 8000;
    const enc = createEncoder(o.codec, { pcmRate });
    const frame = pcmRate / 50;
    const ticks = o.codec.clockRate / 50;
    const frames = Math.round(o.durationMs / 20);
    let i = 0;
    const amp = o.amplitude ?? 8000;
    const start = performance.now();
    let dtmfQueue: { payload: Buffer; marker: boolean }[] = [];
    let dtmfTs = 0;
    const tick = (): void => {
      if (i >= frames) {
        enc.close();
        process.send?.({ type: 'sent' } satisfies FromChild);
        return;
      }
      if (o.dtmf && i === Math.round(o.dtmf.atMs / 20)) {
        dtmfQueue = rfc4733Packets(o.dtmf.digit, o.dtmf.durationMs ?? 120, o.dtmf.clockRate);
        dtmfTs = ts;
      }
      if (dtmfQueue.length > 0 && o.dtmf) {
        // one event packet per 20 ms is enough for a receiver keyed on the timestamp
        const p = dtmfQueue.shift()!;
        sock.send(
          Buffer.concat([header(o.dtmf.payloadType, seq++, dtmfTs, p.marker), p.payload]),
          o.remote.port,
          o.remote.address,
        );
      } else {
        const pcm = new Int16Array(frame);
        const pair =
          o.inband && i >= o.inband.atMs / 20 && i < (o.inband.atMs + 120) / 20 ? dtmfFrequencies(o.inband.digit) : undefined;
        for (let k = 0; k < frame; k++) {
          const n = i * frame + k;
          pcm[k] = pair
            ? Math.round(
                0.4 * amp * (Math.sin((2 * Math.PI * pair[0] * n) / pcmRate) + Math.sin((2 * Math.PI * pair[1] * n) / pcmRate)),
              )
            : Math.round(amp * Math.sin((2 * Math.PI * o.toneHz * n) / pcmRate));
        }
        const payload = enc.encode(pcm);
        sent.push(payload.toString('hex'));
        const packet = Buffer.concat([header(o.codec.payloadType, seq++, ts, i === 0), payload]);
        const late = o.lateMs?.[i];
        if (o.drop?.includes(i)) {
          /* lost */
        } else if (late) setTimeout(() => sock.send(packet, o.remote.port, o.remote.address), late);
        else sock.send(packet, o.remote.port, o.remote.address);
      }
      ts += ticks;
      i++;
      setTimeout(tick, Math.max(0, start + i * 20 - performance.now()));
    };
    tick();
  };

  process.on('message', (m: ToChild) => {
    if (m.cmd === 'send') send(m.opts);
    else if (m.cmd === 'reset') received.length = 0;
    else if (m.cmd === 'report') {
      const pcm: number[] = [];
      const rate = m.decodeAs ? (m.pcmRate ?? (m.decodeAs.name === 'opus' ? 48000 : 8000)) : 0;
      if (m.decodeAs) {
        const dec = createDecoder(m.decodeAs, { pcmRate: rate });
        for (const p of received) {
          if (p.pt !== m.decodeAs.payloadType) continue;
          try {
            for (const v of dec.decode(Buffer.from(p.payloadHex, 'hex'))) pcm.push(v);
          } catch {
            // a bad payload is part of what the test observes: it just adds no audio
          }
        }
        dec.close();
      }
      process.send?.({ type: 'report', report: { packets: received, sentPayloadsHex: sent, pcm, rate } } satisfies FromChild);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--child') runChild(process.argv[3] ?? '127.0.0.1');

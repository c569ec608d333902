/**
 * Everything a media worker holds: sessions and, per session, its endpoints, bridges, echoes,
 * players, recorders and mixers. Requests from the main thread are dispatched here; closing a
 * session closes all it owns.
 */
import type { Logger } from 'pino';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PortAllocator } from '../port-allocator.js';
import { RtpEndpoint } from '../endpoints/rtp-endpoint.js';
import { WebRtcEndpoint } from '../endpoints/webrtc-endpoint.js';
import type { EndpointContext } from '../endpoints/context.js';
import { Bridge } from '../bridge.js';
import { Echo } from '../echo.js';
import { Player } from '../player.js';
import { Recorder } from '../recorder.js';
import { Mixer } from '../mixer.js';
import type { ToneName } from '../tones.js';
import { PassThrough } from 'node:stream';
import type { NegotiatingEndpoint } from '../types.js';
import type { Ops, OpName, TargetEvent, WorkerInit, WorkerObjectCounts } from './protocol.js';

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

class WorkerSession {
  readonly endpoints = new Map<string, NegotiatingEndpoint>();
  readonly bridges: Bridge[] = [];
  readonly echoes: Echo[] = [];
  readonly players = new Map<string, Player>();
  readonly recorders = new Map<string, Recorder>();
  readonly mixers = new Map<string, Mixer>();
  constructor(readonly id: string) {}

  /** Bridges decide pass-through vs transcoding from both legs' codecs: re-check after each negotiation. */
  refreshBridges(): void {
    for (const b of this.bridges) b.refresh();
  }
}

type Handler<K extends OpName> = (args: Ops[K][0]) => Ops[K][1] | Promise<Ops[K][1]>;

export class Dispatcher {
  private readonly sessions = new Map<string, WorkerSession>();
  private readonly endpointSession = new Map<string, WorkerSession>();
  private readonly playbackSession = new Map<string, WorkerSession>();
  private readonly recordingSession = new Map<string, WorkerSession>();
  private readonly mixerSession = new Map<string, WorkerSession>();
  /** Streams feeding PCM playbacks from the main thread. */
  private readonly pcmStreams = new Map<string, PassThrough>();
  readonly ports: PortAllocator;

  constructor(
    private readonly init: WorkerInit,
    private readonly log: Logger,
    private readonly emitEvent: (target: string, event: TargetEvent) => void,
  ) {
    this.ports = new PortAllocator(init.rtp.portMin, init.rtp.portMax);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  counts(): WorkerObjectCounts {
    let endpoints = 0,
      bridges = 0,
      echoes = 0,
      players = 0,
      recorders = 0,
      mixers = 0;
    for (const s of this.sessions.values()) {
      endpoints += s.endpoints.size;
      bridges += s.bridges.length;
      echoes += s.echoes.length;
      players += s.players.size;
      recorders += s.recorders.size;
      mixers += s.mixers.size;
    }
    return {
      sessions: this.sessions.size,
      endpoints,
      bridges,
      echoes,
      players,
      recorders,
      mixers,
      portsInUse: this.ports.size * 2,
      heapUsed: getHeapStatistics().used_heap_size,
      activeResources: process.getActiveResourcesInfo().length,
    };
  }

  async dispatch<K extends OpName>(op: K, args: Ops[K][0]): Promise<Ops[K][1]> {
    const handler = this.handlers[op] as Handler<K> | undefined;
    if (!handler) throw new Error(`unknown media op ${String(op)}`);
    return handler(args);
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.closeSession(id);
  }

  private session(id: string): WorkerSession {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no media session ${id}`);
    return s;
  }

  private endpoint(id: string): NegotiatingEndpoint {
    const ep = this.endpointSession.get(id)?.endpoints.get(id);
    if (!ep) throw new Error(`no endpoint ${id}`);
    return ep;
  }

  private closeSession(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    for (const p of s.players.values()) p.stop();
    for (const r of s.recorders.values()) r.stop();
    for (const m of s.mixers.values()) m.close();
    for (const b of s.bridges) b.close();
    for (const e of s.echoes) e.close();
    for (const ep of [...s.endpoints.values()]) ep.close();
    for (const map of [this.playbackSession, this.recordingSession, this.mixerSession]) {
      for (const [k, v] of map) if (v === s) map.delete(k);
    }
    s.players.clear();
    s.recorders.clear();
    s.mixers.clear();
    this.emitEvent(id, { name: 'closed', args: [] });
  }

  private readonly handlers: { [K in OpName]: Handler<K> } = {
    createSession: ({ sessionId }) => {
      if (this.sessions.has(sessionId)) throw new Error(`session ${sessionId} exists`);
      this.sessions.set(sessionId, new WorkerSession(sessionId));
    },
    closeSession: ({ sessionId }) => this.closeSession(sessionId),
    createEndpoint: async ({ sessionId, endpointId, kind, offer, maxPlaybackRate }) => {
      const s = this.session(sessionId);
      const ctx: EndpointContext = {
        id: endpointId,
        ports: this.ports,
        address: this.init.rtp.address,
        advertisedAddress: this.init.rtp.advertisedAddress,
        logger: this.log.child({ endpoint: endpointId, kind }),
        webrtc: this.init.webrtc,
        jitterBufferMs: this.init.jitterBufferMs,
      };
      let ep: NegotiatingEndpoint;
      if (kind === 'rtp') {
        const rtp = new RtpEndpoint(ctx, { rtpTimeoutMs: this.init.rtpTimeoutMs, inbandDtmf: this.init.inbandDtmf });
        await rtp.open();
        ep = rtp;
      } else {
        ep = new WebRtcEndpoint(this.init.icePortRange ? { ...ctx, icePortRange: this.init.icePortRange } : ctx);
      }
      if (!this.sessions.has(sessionId)) {
        ep.close();
        throw new Error(`media session ${sessionId} closed`);
      }
      s.endpoints.set(endpointId, ep);
      this.endpointSession.set(endpointId, s);
      ep.on('dtmf', (e) => this.emitEvent(endpointId, { name: 'dtmf', args: [e] }));
      ep.on('failed', (why) => this.emitEvent(endpointId, { name: 'failed', args: [why] }));
      ep.once('closed', () => {
        s.endpoints.delete(endpointId);
        this.endpointSession.delete(endpointId);
        for (let i = s.bridges.length - 1; i >= 0; i--) {
          if (s.bridges[i].a === ep || s.bridges[i].b === ep) s.bridges.splice(i, 1)[0].close();
        }
        for (let i = s.echoes.length - 1; i >= 0; i--) {
          if (s.echoes[i].port === ep) s.echoes.splice(i, 1)[0].close();
        }
        this.emitEvent(endpointId, { name: 'closed', args: [] });
      });
      if (!offer) return undefined;
      try {
        return await ep.createOffer({ maxPlaybackRate });
      } catch (err) {
        // The caller never learns of this endpoint: nothing of it may stay behind.
        ep.close();
        throw err;
      }
    },
    closeEndpoint: ({ endpointId }) => this.endpointSession.get(endpointId)?.endpoints.get(endpointId)?.close(),
    answer: async ({ endpointId, sdp, maxPlaybackRate }) => {
      const answer = await this.endpoint(endpointId).answer(sdp, { maxPlaybackRate });
      this.endpointSession.get(endpointId)?.refreshBridges();
      return answer;
    },
    createOffer: ({ endpointId, codecs, maxPlaybackRate }) => this.endpoint(endpointId).createOffer({ codecs, maxPlaybackRate }),
    setRemoteAnswer: async ({ endpointId, sdp }) => {
      await this.endpoint(endpointId).setRemoteAnswer(sdp);
      this.endpointSession.get(endpointId)?.refreshBridges();
    },
    sendDtmf: ({ endpointId, digit, durationMs }) => this.endpoint(endpointId).sendDtmf(digit, durationMs),
    injectDtmf: ({ endpointId, event }) => this.endpoint(endpointId).injectDtmf(event),
    bridge: ({ sessionId, a, b }) => {
      const s = this.session(sessionId);
      const pa = this.endpoint(a);
      const pb = this.endpoint(b);
      if (s.endpoints.get(a) !== pa || s.endpoints.get(b) !== pb) throw new Error('endpoints belong to another session');
      if (s.bridges.some((x) => (x.a === pa && x.b === pb) || (x.a === pb && x.b === pa))) return;
      // A leg is in one bridge or echo at a time: joining it elsewhere replaces the old join.
      this.unjoin(s, pa);
      this.unjoin(s, pb);
      s.bridges.push(new Bridge(pa, pb));
    },
    unbridge: ({ sessionId, a, b }) => {
      const s = this.session(sessionId);
      const i = s.bridges.findIndex((x) => (x.a.id === a && x.b.id === b) || (x.a.id === b && x.b.id === a));
      if (i >= 0) s.bridges.splice(i, 1)[0].close();
    },
    echo: ({ sessionId, endpointId }) => {
      const s = this.session(sessionId);
      const ep = this.endpoint(endpointId);
      this.unjoin(s, ep);
      s.echoes.push(new Echo(ep));
    },
    play: ({ sessionId, playbackId, endpointId, source, loop }) => {
      const s = this.session(sessionId);
      const ep = this.endpoint(endpointId);
      const player = new Player(ep, 'file' in source ? { file: source.file } : { tone: source.tone as ToneName }, { loop });
      s.players.set(playbackId, player);
      this.playbackSession.set(playbackId, s);
      player.once('ended', (e) => {
        s.players.delete(playbackId);
        this.playbackSession.delete(playbackId);
        this.emitEvent(playbackId, { name: 'ended', args: [e] });
      });
      player.start();
    },
    playPcm: ({ sessionId, playbackId, endpointId, sampleRate }) => {
      const s = this.session(sessionId);
      const ep = this.endpoint(endpointId);
      const stream = new PassThrough();
      const player = new Player(ep, { stream, sampleRate });
      s.players.set(playbackId, player);
      this.playbackSession.set(playbackId, s);
      this.pcmStreams.set(playbackId, stream);
      player.once('ended', (e) => {
        s.players.delete(playbackId);
        this.playbackSession.delete(playbackId);
        this.pcmStreams.delete(playbackId);
        stream.destroy();
        this.emitEvent(playbackId, { name: 'ended', args: [e] });
      });
      player.start();
    },
    pcmData: ({ playbackId, samples }) => {
      this.pcmStreams.get(playbackId)?.write(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    },
    pcmEnd: ({ playbackId }) => {
      this.pcmStreams.get(playbackId)?.end();
    },
    stopPlay: ({ playbackId }) => this.playbackSession.get(playbackId)?.players.get(playbackId)?.stop(),
    record: ({ sessionId, recordingId, path, endpointIds, sampleRate, silenceMs }) => {
      const s = this.session(sessionId);
      const rec = new Recorder(
        path,
        endpointIds.map((id) => this.endpoint(id)),
        { sampleRate, silenceMs },
      );
      s.recorders.set(recordingId, rec);
      this.recordingSession.set(recordingId, s);
      rec.once('silence', (e) => this.emitEvent(recordingId, { name: 'silence', args: [e] }));
      rec.once('closed', (r) => {
        s.recorders.delete(recordingId);
        this.recordingSession.delete(recordingId);
        this.emitEvent(recordingId, { name: 'recorded', args: [r] });
      });
    },
    stopRecord: ({ recordingId }) => {
      const rec = this.recordingSession.get(recordingId)?.recorders.get(recordingId);
      if (!rec) throw new Error(`no recording ${recordingId}`);
      let result = { path: rec.path, durationMs: 0 };
      rec.once('closed', (r) => {
        result = r;
      });
      rec.stop();
      return result;
    },
    createMixer: ({ sessionId, mixerId, sampleRate }) => {
      const s = this.session(sessionId);
      s.mixers.set(mixerId, new Mixer(sampleRate ? { sampleRate } : undefined));
      this.mixerSession.set(mixerId, s);
    },
    mixerAdd: ({ mixerId, endpointId, opts }) => {
      const s = this.mixerSession.get(mixerId);
      const m = s?.mixers.get(mixerId);
      if (!s || !m) throw new Error(`no mixer ${mixerId}`);
      const ep = this.endpoint(endpointId);
      this.unjoin(s, ep);
      m.add(ep, opts);
    },
    mixerUpdate: ({ mixerId, endpointId, opts }) => this.mixerSession.get(mixerId)?.mixers.get(mixerId)?.update(endpointId, opts),
    mixerRemove: ({ mixerId, endpointId }) => this.mixerSession.get(mixerId)?.mixers.get(mixerId)?.remove(endpointId),
    mixerClose: ({ mixerId }) => {
      const s = this.mixerSession.get(mixerId);
      s?.mixers.get(mixerId)?.close();
      s?.mixers.delete(mixerId);
      this.mixerSession.delete(mixerId);
    },
    stats: ({ gc }) => {
      if (gc) collectGarbage();
      return this.counts();
    },
  };

  private unjoin(s: WorkerSession, ep: NegotiatingEndpoint): void {
    for (let i = s.bridges.length - 1; i >= 0; i--) {
      if (s.bridges[i].a === ep || s.bridges[i].b === ep) s.bridges.splice(i, 1)[0].close();
    }
    for (let i = s.echoes.length - 1; i >= 0; i--) {
      if (s.echoes[i].port === ep) s.echoes.splice(i, 1)[0].close();
    }
  }
}

/**
 * One visitor call over SIP-over-WebSocket (sip.js) with WebRTC audio: a fresh credential from the
 * widget's token endpoint per call (it is good for one call only), REGISTER, INVITE to the widget,
 * mute, SIP INFO both ways, hang-up.
 */
import { Inviter, Registerer, RegistererState, SessionState, UserAgent, type Session } from 'sip.js';
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';
import { gatherUdpOnly } from '../shared/ice-gathering.js';
import type { Emitter } from './events.js';

export interface VisitorToken {
  ws_url: string;
  sip: { username: string; password: string; domain: string; dial: string };
  expires_at: string;
}

export interface CallStats {
  packetsReceived: number;
  packetsSent: number;
  totalAudioEnergy: number;
}

export class VisitorCall {
  private ua: UserAgent | undefined;
  private registerer: Registerer | undefined;
  private session: Session | undefined;
  private token: VisitorToken | undefined;
  /** The credential carried a call already: the next call needs a new one. */
  private spent = false;
  muted = false;
  startedAt: number | undefined;

  constructor(
    private readonly fetchToken: () => Promise<VisitorToken>,
    private readonly events: Emitter,
    private readonly remoteAudio: HTMLAudioElement,
  ) {}

  get connected(): boolean {
    return this.ua?.isConnected() ?? false;
  }

  get inCall(): boolean {
    return this.session !== undefined && this.session.state !== SessionState.Terminated;
  }

  get callId(): string | undefined {
    return this.session?.id;
  }

  get sessionState(): string | undefined {
    return this.session?.state;
  }

  async connect(): Promise<void> {
    if (this.connected && !this.spent) return;
    await this.disconnect();
    this.events.emit('connecting');
    const token = await this.fetchToken();
    this.token = token;
    this.spent = false;
    const uri = UserAgent.makeURI(`sip:${token.sip.username}@${token.sip.domain}`);
    if (!uri) throw new Error('bad visitor credential');
    const ua = new UserAgent({
      uri,
      transportOptions: { server: token.ws_url },
      authorizationUsername: token.sip.username,
      authorizationPassword: token.sip.password,
      logLevel: 'error',
      sessionDescriptionHandlerFactoryOptions: {
        iceGatheringTimeout: 3000,
        peerConnectionConfiguration: { iceServers: [] },
      },
      delegate: {
        onDisconnect: (err) => {
          this.events.emit('disconnected', err ? { reason: err.message } : undefined);
        },
      },
    });
    this.ua = ua;
    await ua.start();
    this.events.emit('connected');
    const reg = new Registerer(ua, { expires: 300 });
    this.registerer = reg;
    reg.stateChange.addListener((st) => {
      if (st === RegistererState.Registered) this.events.emit('registered');
      else if (st === RegistererState.Unregistered) this.events.emit('unregistered');
    });
    await reg.register();
  }

  async startCall(): Promise<void> {
    if (this.inCall) throw new Error('a call is already active');
    if (!this.connected || this.spent) await this.connect();
    const ua = this.ua!;
    const token = this.token!;
    const target = UserAgent.makeURI(`sip:${token.sip.dial}@${token.sip.domain}`);
    if (!target) throw new Error('bad widget target');
    const inviter = new Inviter(ua, target, {
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
      // the server's 183 carries its answer: ICE and DTLS run while the call is put through
      earlyMedia: true,
      delegate: {
        // the offer goes with the host UDP candidates, not after Chromium's TCP ones (~100 ms later)
        onSessionDescriptionHandler: (sdh) => gatherUdpOnly(sdh as SessionDescriptionHandler),
        onInfo: (info) => {
          const body = info.request.body;
          let data: unknown = body;
          try {
            data = JSON.parse(body);
          } catch {
            /* not JSON: hand over the text */
          }
          this.events.emit('infoReceived', { contentType: info.request.getHeader('Content-Type'), data });
          info.accept().catch(() => undefined);
        },
      },
    });
    this.spent = true;
    this.session = inviter;
    this.muted = false;
    inviter.stateChange.addListener((st) => this.onState(inviter, st));
    await inviter.invite({
      requestDelegate: {
        onProgress: (r) => {
          if (r.message.statusCode === 180 || r.message.statusCode === 183) this.events.emit('ringing');
        },
        onReject: (r) => this.events.emit('failed', { statusCode: r.message.statusCode, reason: r.message.reasonPhrase }),
      },
    });
  }

  async endCall(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s.state === SessionState.Establishing && s instanceof Inviter) await s.cancel();
    else if (s.state === SessionState.Established) await s.bye();
  }

  setMuted(muted: boolean): void {
    const pc = this.peer();
    if (!pc) throw new Error('no active call');
    for (const sender of pc.getSenders()) if (sender.track?.kind === 'audio') sender.track.enabled = !muted;
    this.muted = muted;
    this.events.emit(muted ? 'muted' : 'unmuted');
  }

  /** A SIP INFO in the call: `{event, data}` as JSON, for the application to act on. */
  async sendInfo(event: string, data: unknown): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established) throw new Error('no established call');
    // Settled by the application's answer, not by the send: a refused INFO (too big, too many) rejects.
    await new Promise<void>((resolve, reject) => {
      s.info({
        requestOptions: {
          body: { contentDisposition: 'render', contentType: 'application/json', content: JSON.stringify({ event, data }) },
        },
        requestDelegate: {
          onAccept: () => resolve(),
          onReject: (r) => reject(new Error(`INFO refused: ${r.message.statusCode} ${r.message.reasonPhrase}`)),
        },
      }).catch(reject);
    });
    this.events.emit('infoSent', { event, data });
  }

  async stats(): Promise<CallStats> {
    const out: CallStats = { packetsReceived: 0, packetsSent: 0, totalAudioEnergy: 0 };
    const report = await this.peer()?.getStats();
    report?.forEach((r: Record<string, unknown>) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = Number(r.packetsReceived ?? 0);
        out.totalAudioEnergy = Number(r.totalAudioEnergy ?? 0);
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent = Number(r.packetsSent ?? 0);
    });
    return out;
  }

  async disconnect(): Promise<void> {
    await this.endCall().catch(() => undefined);
    const ua = this.ua;
    this.ua = undefined;
    if (!ua) return;
    await this.registerer?.unregister().catch(() => undefined);
    this.registerer = undefined;
    await ua.stop().catch(() => undefined);
  }

  private peer(): RTCPeerConnection | undefined {
    return (this.session?.sessionDescriptionHandler as SessionDescriptionHandler | undefined)?.peerConnection;
  }

  private onState(session: Session, st: SessionState): void {
    if (session !== this.session) return;
    if (st === SessionState.Established) {
      this.startedAt = Date.now();
      const sdh = session.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
      if (sdh) {
        this.events.emit('captureAudio', { stream: sdh.localMediaStream });
        this.remoteAudio.srcObject = sdh.remoteMediaStream;
        this.remoteAudio.play().catch(() => undefined);
      }
      this.events.emit('answered');
    } else if (st === SessionState.Terminated) {
      this.remoteAudio.srcObject = null;
      this.events.emit('audioEnded');
      this.events.emit('ended');
    }
  }
}

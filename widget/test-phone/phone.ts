/**
 * The test phone: sip.js over a WebSocket (`sip` subprotocol) with WebRTC audio. Registers,
 * calls, answers, sends DTMF (RFC 4733 or SIP INFO) and hangs up; everything it knows is on
 * `window.phone` so browser tests can drive and observe it with page.evaluate.
 */
import { Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent, type Session } from 'sip.js';
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';
import { RemoteAudio } from '../shared/remote-audio.js';

export interface PhoneSettings {
  ws: string;
  user: string;
  password: string;
  domain: string;
  displayName?: string;
  autoRegister: boolean;
  autoAnswer: boolean;
}

export interface CallStats {
  packetsReceived: number;
  packetsSent: number;
  totalAudioEnergy: number;
  bytesReceived: number;
  codec: string;
  connectionState: string;
}

export type CallState = 'idle' | 'ringing' | 'calling' | 'established' | 'terminated';

export interface PhoneState {
  registered: boolean;
  callState: CallState;
  /** Direction of the current (or last) call. */
  direction: 'inbound' | 'outbound' | undefined;
  remoteIdentity: string | undefined;
  /** SIP status of the last final response to our INVITE (e.g. 486), or of the BYE reason. */
  lastStatus: number | undefined;
  lastError: string | undefined;
  /** Every INFO body with DTMF the other side sent us. */
  dtmfReceived: string[];
  log: string[];
}

function readSettings(): PhoneSettings {
  const q = new URLSearchParams(location.search);
  const get = (k: string, d = ''): string => q.get(k) ?? d;
  return {
    ws: get('ws', `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8088`),
    user: get('user'),
    password: get('password'),
    domain: get('domain', location.hostname),
    displayName: q.get('displayName') ?? undefined,
    autoRegister: get('autoRegister', '1') !== '0',
    autoAnswer: get('autoAnswer', '0') === '1',
  };
}

class TestPhone {
  readonly settings = readSettings();
  readonly state: PhoneState = {
    registered: false,
    callState: 'idle',
    direction: undefined,
    remoteIdentity: undefined,
    lastStatus: undefined,
    lastError: undefined,
    dtmfReceived: [],
    log: [],
  };
  private ua: UserAgent | undefined;
  private registerer: Registerer | undefined;
  private session: Session | undefined;
  private pending: Invitation | undefined;
  private readonly remote = new RemoteAudio();

  async start(): Promise<void> {
    const s = this.settings;
    const uri = UserAgent.makeURI(`sip:${s.user}@${s.domain}`);
    if (!uri) throw new Error(`bad user/domain: ${s.user}@${s.domain}`);
    this.ua = new UserAgent({
      uri,
      transportOptions: { server: s.ws },
      authorizationUsername: s.user,
      authorizationPassword: s.password,
      displayName: s.displayName,
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: {
        // SIP carries complete SDP: wait for gathering rather than sending a partial offer.
        iceGatheringTimeout: 5000,
        peerConnectionConfiguration: { iceServers: [] },
      },
      delegate: {
        onInvite: (invitation) => this.onInvite(invitation),
        onDisconnect: (error) => {
          if (error) this.fail(`transport lost: ${error.message}`);
        },
      },
    });
    await this.ua.start();
    this.note('transport connected');
    this.registerer = new Registerer(this.ua);
    this.registerer.stateChange.addListener((st) => {
      this.state.registered = st === RegistererState.Registered;
      this.note(`registration ${st}`);
    });
    if (s.autoRegister) await this.register();
  }

  async register(): Promise<void> {
    await this.registerer?.register({
      requestDelegate: { onReject: (r) => this.fail(`REGISTER rejected: ${r.message.statusCode}`) },
    });
  }

  async unregister(): Promise<void> {
    await this.registerer?.unregister();
  }

  async call(target: string): Promise<void> {
    if (!this.ua) throw new Error('not started');
    const uri = UserAgent.makeURI(target.startsWith('sip:') ? target : `sip:${target}@${this.settings.domain}`);
    if (!uri) throw new Error(`bad target: ${target}`);
    const inviter = new Inviter(this.ua, uri, {
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
    });
    this.track(inviter, 'outbound');
    this.state.callState = 'calling';
    await inviter.invite({
      requestDelegate: {
        onReject: (r) => {
          this.state.lastStatus = r.message.statusCode;
          this.note(`INVITE rejected ${r.message.statusCode}`);
        },
        onAccept: (r) => {
          this.state.lastStatus = r.message.statusCode;
        },
      },
    });
  }

  async answer(): Promise<void> {
    const inv = this.pending;
    if (!inv) throw new Error('no incoming call');
    this.pending = undefined;
    await inv.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } });
  }

  async hangup(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s instanceof Inviter && s.state === SessionState.Establishing) await s.cancel();
    else if (s instanceof Invitation && s.state === SessionState.Initial) await s.reject();
    else if (s.state === SessionState.Established) await s.bye();
  }

  /** RFC 4733 through the browser's RTCDTMFSender, or one SIP INFO per digit. */
  async sendDtmf(digits: string, mode: 'rfc4733' | 'info' = 'rfc4733', durationMs = 100): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established) throw new Error('no established call');
    if (mode === 'rfc4733') {
      const sdh = s.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
      if (!sdh?.sendDtmf(digits, { duration: durationMs, interToneGap: 70 })) throw new Error('RTCDTMFSender refused the digits');
      return;
    }
    for (const d of digits) {
      await s.info({
        requestOptions: {
          body: {
            contentDisposition: 'render',
            contentType: 'application/dtmf-relay',
            content: `Signal=${d}\r\nDuration=${durationMs}\r\n`,
          },
        },
      });
    }
  }

  async stats(): Promise<CallStats> {
    const sdh = this.session?.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
    const pc = sdh?.peerConnection;
    const out: CallStats = {
      packetsReceived: 0,
      packetsSent: 0,
      totalAudioEnergy: 0,
      bytesReceived: 0,
      codec: '',
      connectionState: pc?.connectionState ?? 'none',
    };
    if (!pc) return out;
    const report = await pc.getStats();
    let codecId: string | undefined;
    report.forEach((r: Record<string, unknown>) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = Number(r.packetsReceived ?? 0);
        out.bytesReceived = Number(r.bytesReceived ?? 0);
        out.totalAudioEnergy = Number(r.totalAudioEnergy ?? 0);
        codecId = r.codecId as string | undefined;
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
        out.packetsSent = Number(r.packetsSent ?? 0);
      }
    });
    if (codecId) out.codec = String((report.get(codecId) as { mimeType?: string } | undefined)?.mimeType ?? '');
    return out;
  }

  async stop(): Promise<void> {
    await this.hangup().catch(() => undefined);
    await this.ua?.stop();
  }

  private onInvite(invitation: Invitation): void {
    if (this.session && this.session.state !== SessionState.Terminated) {
      invitation.reject({ statusCode: 486 }).catch(() => undefined);
      return;
    }
    this.pending = invitation;
    this.track(invitation, 'inbound');
    this.state.callState = 'ringing';
    invitation.delegate = {
      onInfo: (info) => {
        const body = info.request.body;
        if (/dtmf/i.test(info.request.getHeader('Content-Type') ?? '')) this.state.dtmfReceived.push(body);
        info.accept().catch(() => undefined);
      },
    };
    if (this.settings.autoAnswer) this.answer().catch((e: Error) => this.fail(e.message));
  }

  private track(session: Session, direction: 'inbound' | 'outbound'): void {
    this.session = session;
    this.state.direction = direction;
    this.state.remoteIdentity = session.remoteIdentity.uri.toString();
    this.state.lastStatus = undefined;
    if (direction === 'outbound') {
      session.delegate = {
        onInfo: (info) => {
          if (/dtmf/i.test(info.request.getHeader('Content-Type') ?? '')) this.state.dtmfReceived.push(info.request.body);
          info.accept().catch(() => undefined);
        },
      };
    }
    session.stateChange.addListener((st) => {
      this.note(`call ${st}`);
      if (st === SessionState.Established) {
        this.state.callState = 'established';
        this.playRemote(session);
      } else if (st === SessionState.Terminated) {
        this.state.callState = 'terminated';
        if (this.pending === session) this.pending = undefined;
      }
    });
  }

  private playRemote(session: Session): void {
    const sdh = session.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
    const el = document.getElementById('remote-audio') as HTMLAudioElement | null;
    // An analyser on what we hear lets tests check the far end's tone, not just packet counts.
    if (sdh && el) this.remote.play(sdh, el);
  }

  /** Strongest frequency (Hz) in the audio we receive right now; 0 without a call. */
  peakHz(): number {
    return this.remote.peakHz();
  }

  private note(line: string): void {
    this.state.log.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    const el = document.getElementById('status');
    if (el) el.textContent = JSON.stringify({ ...this.state, log: this.state.log.slice(-8) }, null, 2);
  }

  private fail(message: string): void {
    this.state.lastError = message;
    this.note(`error: ${message}`);
  }
}

declare global {
  interface Window {
    phone: TestPhone;
  }
}

const phone = new TestPhone();
window.phone = phone;

function bind(id: string, fn: () => Promise<void>): void {
  document.getElementById(id)?.addEventListener('click', () => {
    fn().catch((e: Error) => {
      phone.state.lastError = e.message;
    });
  });
}
const value = (id: string): string => (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';
bind('register', () => phone.register());
bind('unregister', () => phone.unregister());
bind('call', () => phone.call(value('target')));
bind('answer', () => phone.answer());
bind('hangup', () => phone.hangup());
bind('dtmf-rtp', () => phone.sendDtmf(value('digits'), 'rfc4733'));
bind('dtmf-info', () => phone.sendDtmf(value('digits'), 'info'));

phone.start().catch((e: Error) => {
  phone.state.lastError = e.message;
});

/**
 * The softphone's SIP side: one sip.js user agent over the SIP WebSocket, registered with the
 * session's credentials as the agent, at most one call at a time. It reports every transition
 * as a Voylo event; the page (softphone.ts) turns them into UI and postMessage.
 */
import { Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent, type Session } from 'sip.js';
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';
import { gatherUdpOnly } from '../shared/ice-gathering.js';
import { RemoteAudio } from '../shared/remote-audio.js';
import type { SoftphoneEventName, SoftphoneEvents, SoftphoneState } from './protocol.js';

export interface SipCredentials {
  ws: string | null;
  domain: string;
  username: string;
  password: string;
  uri: string;
  displayName: string | null;
}

type Emit = <K extends SoftphoneEventName>(event: K, data: SoftphoneEvents[K]) => void;

const AUDIO = { constraints: { audio: true, video: false } };

export class SipPhone {
  state: SoftphoneState = 'connecting';
  muted = false;
  /** The current or last call's far end, for the UI. */
  peer = '';
  private ua: UserAgent | undefined;
  private registerer: Registerer | undefined;
  private session: Session | undefined;
  /** Why the call ended, when this side decided it (hang up, decline) before the SIP layer says so. */
  private localCause: { cause: string; statusCode: number } | undefined;
  /** Set when the phone itself is going away (signed out, connection lost): it names why a call ended. */
  private stopCause: { cause: string; statusCode: number } | undefined;
  private finalStatus = 0;
  private readonly remote = new RemoteAudio();

  constructor(
    private readonly creds: SipCredentials,
    private readonly emit: Emit,
    private readonly onDisconnect: () => void,
    /** RFC 5626 instance id: the same in every session of this agent in this browser. */
    private readonly instanceId: string,
  ) {}

  async start(): Promise<void> {
    const uri = UserAgent.makeURI(this.creds.uri);
    if (!uri || !this.creds.ws) throw new Error('no SIP WebSocket on this server');
    this.ua = new UserAgent({
      uri,
      transportOptions: { server: this.creds.ws },
      // A reload's registration replaces the last one instead of adding to it: a closing tab's
      // unregister seldom gets out, and the registrar holds only so many contacts per agent.
      instanceId: this.instanceId,
      instanceIdAlwaysAdded: true,
      authorizationUsername: this.creds.username,
      authorizationPassword: this.creds.password,
      displayName: this.creds.displayName ?? undefined,
      logLevel: 'error',
      sessionDescriptionHandlerFactoryOptions: { iceGatheringTimeout: 5000, peerConnectionConfiguration: { iceServers: [] } },
      delegate: {
        onInvite: (inv) => this.onInvite(inv),
        onDisconnect: () => this.onDisconnect(),
      },
    });
    await this.ua.start();
    this.registerer = new Registerer(this.ua);
    const registered = new Promise<void>((resolve, reject) => {
      this.registerer!.stateChange.addListener((st) => {
        if (st === RegistererState.Registered) resolve();
        else if (st === RegistererState.Unregistered && this.state === 'connecting') reject(new Error('registration refused'));
      });
    });
    await this.registerer.register({
      requestDelegate: { onReject: (r) => this.emit('error', { message: `registration refused (${r.message.statusCode})` }) },
    });
    await registered;
    this.setState('registered');
  }

  async dial(target: string): Promise<void> {
    if (!this.ua || this.state !== 'registered') throw new Error(`cannot dial while ${this.state}`);
    const clean = target.trim();
    // A number (digits, + and the usual separators) or an agent's username, at our domain.
    const user = /^[+0-9()\s.-]+$/.test(clean) ? clean.replace(/[()\s.-]/g, '') : clean;
    const uri = UserAgent.makeURI(user.startsWith('sip:') ? user : `sip:${encodeURIComponent(user)}@${this.creds.domain}`);
    if (!uri || !user) throw new Error(`not a number or agent: ${target}`);
    // earlyMedia: the server's 183 carries its answer, so ICE and DTLS run while the far end is
    // reached, and a carrier's ringback or announcement is heard.
    const inviter = new Inviter(this.ua, uri, { sessionDescriptionHandlerOptions: AUDIO, earlyMedia: true });
    this.track(inviter, clean);
    this.setState('calling');
    await inviter.invite({
      requestDelegate: {
        onProgress: (r) => {
          if (r.message.body) this.playRemote(inviter);
        },
        onReject: (r) => {
          this.finalStatus = r.message.statusCode ?? 0;
        },
      },
    });
  }

  async answer(): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || s.state !== SessionState.Initial) throw new Error('no ringing call');
    await s.accept({ sessionDescriptionHandlerOptions: AUDIO });
  }

  async decline(): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || s.state !== SessionState.Initial) throw new Error('no ringing call');
    this.localCause = { cause: 'declined', statusCode: 603 };
    await s.reject({ statusCode: 603 });
  }

  async hangup(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s instanceof Inviter && s.state === SessionState.Establishing) {
      this.localCause = { cause: 'canceled', statusCode: 487 };
      await s.cancel();
    } else if (s instanceof Invitation && s.state === SessionState.Initial) {
      await this.decline();
    } else if (s.state === SessionState.Established) {
      this.localCause = { cause: 'local-hangup', statusCode: 200 };
      await s.bye();
    }
  }

  toggleMute(): boolean {
    const pc = this.peerConnection();
    this.muted = !this.muted;
    for (const sender of pc?.getSenders() ?? []) if (sender.track) sender.track.enabled = !this.muted;
    return this.muted;
  }

  sendDtmf(digits: string): void {
    const sdh = this.session?.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
    if (this.state !== 'in-call' || !sdh?.sendDtmf(digits, { duration: 100, interToneGap: 70 }))
      throw new Error('no call to send digits on');
  }

  /**
   * Closes the transport without unregistering (the page is going away or the session is gone);
   * a call still up ends with `cause` (status 0: no SIP answer ended it).
   */
  async stop(cause?: string): Promise<void> {
    if (cause) this.stopCause = { cause, statusCode: 0 };
    await this.hangup().catch(() => undefined);
    await this.ua?.stop().catch(() => undefined);
  }

  peerConnection(): RTCPeerConnection | undefined {
    return (this.session?.sessionDescriptionHandler as SessionDescriptionHandler | undefined)?.peerConnection;
  }

  /** Strongest frequency (Hz) of what we hear now; 0 without a call (tests check tones with it). */
  peakHz(): number {
    return this.remote.peakHz();
  }

  setState(state: SoftphoneState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state });
  }

  private onInvite(inv: Invitation): void {
    if (this.state !== 'registered') {
      inv.reject({ statusCode: 486 }).catch(() => undefined);
      return;
    }
    const identity = inv.remoteIdentity;
    this.track(inv, identity.displayName || identity.uri.user || identity.uri.toString());
    this.setState('ringing');
    this.emit('call:ringing', { fromUri: identity.uri.toString(), displayName: identity.displayName ?? '' });
  }

  private track(session: Session, peer: string): void {
    this.session = session;
    this.peer = peer;
    this.localCause = undefined;
    this.finalStatus = 0;
    this.muted = false;
    let answered = false;
    session.delegate = {
      ...session.delegate,
      onSessionDescriptionHandler: (sdh) => gatherUdpOnly(sdh as SessionDescriptionHandler),
    };
    session.stateChange.addListener((st) => {
      if (st === SessionState.Established) {
        answered = true;
        this.setState('in-call');
        this.emit('call:answered', {});
        this.playRemote(session);
      } else if (st === SessionState.Terminated) {
        if (this.session === session) this.session = undefined;
        // sip.js terminates a rejected Inviter before it hands the final response to invite()'s
        // onReject: the status code is only known once this synchronous turn is over.
        queueMicrotask(() => {
          this.emit('call:ended', this.endCause(session, answered));
          if (this.state !== 'signed-out' && this.state !== 'error') this.setState('registered');
        });
      }
    });
  }

  private endCause(session: Session, answered: boolean): { cause: string; statusCode: number } {
    if (this.stopCause) return this.stopCause;
    if (this.localCause) return this.localCause;
    if (answered) return { cause: 'remote-hangup', statusCode: 200 };
    if (session instanceof Invitation) return { cause: 'canceled', statusCode: 487 };
    const code = this.finalStatus || 0;
    const cause =
      code === 486 || code === 600 ? 'busy' : code === 603 ? 'declined' : code === 408 || code === 480 ? 'no-answer' : 'failed';
    return { cause, statusCode: code };
  }

  private playRemote(session: Session): void {
    const sdh = session.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
    // once per call: early media already plays what the answer brings
    if (sdh) this.remote.play(sdh, document.getElementById('remote-audio') as HTMLAudioElement | null);
  }
}

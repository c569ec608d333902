/**
 * The Phonevoice embed page (`/embed?t=`): one sip.js call into the live call the signed URL named,
 * with SIP credentials minted for this embed alone. `agent` and `talk` send the microphone;
 * `listen` sends nothing (receive-only). The server enforces the role either way: it only admits
 * this page's INVITE into that call, and mixes a listener in listen-only. State and a few
 * measurements are on `window.embed` so tests (and host pages) can observe it.
 */
import { Inviter, SessionState, UserAgent, type Session } from 'sip.js';
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';
import { gatherUdpOnly } from '../shared/ice-gathering.js';
import { RemoteAudio } from '../shared/remote-audio.js';

interface EmbedConfig {
  role: 'agent' | 'talk' | 'listen';
  callId: number;
  ws?: string;
  domain: string;
  user: string;
  password: string;
}

export type EmbedCallState = 'connecting' | 'waiting' | 'in-call' | 'ended' | 'error';

export interface EmbedState {
  role: EmbedConfig['role'];
  callState: EmbedCallState;
  muted: boolean;
  /** SIP status of a refused INVITE. */
  lastStatus?: number;
  error?: string;
}

const config = JSON.parse(document.getElementById('embed-config')?.textContent ?? '{}') as EmbedConfig;

class EmbedPhone {
  readonly state: EmbedState = { role: config.role, callState: 'connecting', muted: false };
  private ua: UserAgent | undefined;
  private session: Session | undefined;
  private readonly remote = new RemoteAudio();

  async start(): Promise<void> {
    if (!config.ws) throw new Error('this server has no SIP WebSocket listener');
    const uri = UserAgent.makeURI(`sip:${config.user}@${config.domain}`);
    const target = UserAgent.makeURI(`sip:call-${config.callId}@${config.domain}`);
    if (!uri || !target) throw new Error('bad embed configuration');
    this.ua = new UserAgent({
      uri,
      transportOptions: { server: config.ws },
      authorizationUsername: config.user,
      authorizationPassword: config.password,
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: {
        // SIP carries complete SDP: the offer waits for the host UDP candidates (gatherUdpOnly).
        iceGatheringTimeout: 5000,
        peerConnectionConfiguration: { iceServers: [] },
      },
      delegate: {
        onDisconnect: (error) => {
          if (error && this.state.callState !== 'ended') this.fail(`connection lost: ${error.message}`);
        },
      },
    });
    await this.ua.start();
    const listen = config.role === 'listen';
    const inviter = new Inviter(this.ua, target, {
      sessionDescriptionHandlerOptions: {
        constraints: { audio: !listen, video: false },
        // A listener offers to receive only: it never asks for the microphone.
        ...(listen ? { offerOptions: { offerToReceiveAudio: true } } : {}),
      },
      // the server's 183 carries its answer: ICE and DTLS run while the call is put through
      earlyMedia: true,
      delegate: { onSessionDescriptionHandler: (sdh) => gatherUdpOnly(sdh as SessionDescriptionHandler) },
    });
    this.session = inviter;
    inviter.stateChange.addListener((st) => {
      if (st === SessionState.Established) {
        this.set('in-call');
        this.playRemote(inviter);
      } else if (st === SessionState.Terminated) {
        if (this.state.callState !== 'error') this.set('ended');
        void this.ua?.stop().catch(() => undefined);
      }
    });
    await inviter.invite({
      requestDelegate: {
        onProgress: () => this.set('waiting'),
        onReject: (r) => {
          this.state.lastStatus = r.message.statusCode;
          this.fail(`refused: ${r.message.statusCode} ${r.message.reasonPhrase}`);
        },
      },
    });
  }

  /** The agent's BYE ends the call; a participant's or listener's only leaves it (the server decides). */
  async hangup(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s instanceof Inviter && s.state === SessionState.Establishing) await s.cancel();
    else if (s.state === SessionState.Established) await s.bye();
  }

  toggleMute(): boolean {
    this.state.muted = !this.state.muted;
    for (const sender of this.peer()?.getSenders() ?? []) if (sender.track) sender.track.enabled = !this.state.muted;
    this.render();
    return this.state.muted;
  }

  /** Packets and audio energy received and sent so far. */
  async stats(): Promise<{ packetsReceived: number; packetsSent: number; totalAudioEnergy: number }> {
    const out = { packetsReceived: 0, packetsSent: 0, totalAudioEnergy: 0 };
    const report = await this.peer()?.getStats();
    report?.forEach((r: Record<string, unknown>) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = Number(r.packetsReceived ?? 0);
        out.totalAudioEnergy = Number(r.totalAudioEnergy ?? 0);
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent = Number(r.packetsSent ?? 0);
    });
    return out;
  }

  /** Level (dB) of what we hear at each frequency, and the strongest frequency (Hz). */
  spectrum(frequencies: number[]): { levels: number[]; peakHz: number } {
    return this.remote.spectrum(frequencies);
  }

  private peer(): RTCPeerConnection | undefined {
    return (this.session?.sessionDescriptionHandler as SessionDescriptionHandler | undefined)?.peerConnection;
  }

  private playRemote(session: Session): void {
    const sdh = session.sessionDescriptionHandler as SessionDescriptionHandler | undefined;
    const el = document.getElementById('remote-audio') as HTMLAudioElement | null;
    if (sdh && el) this.remote.play(sdh, el);
  }

  private set(s: EmbedCallState): void {
    this.state.callState = s;
    this.render();
  }

  fail(message: string): void {
    this.state.error = message;
    this.set('error');
  }

  private render(): void {
    const text: Record<EmbedCallState, string> = {
      connecting: 'connecting…',
      waiting: config.role === 'agent' ? 'calling the client…' : 'waiting for the call to connect…',
      'in-call': config.role === 'listen' ? 'listening' : this.state.muted ? 'in call (muted)' : 'in call',
      ended: 'call ended',
      error: `error: ${this.state.error ?? ''}`,
    };
    const el = document.getElementById('state');
    if (el) el.textContent = text[this.state.callState];
    const live = this.state.callState === 'in-call' || this.state.callState === 'waiting';
    for (const id of ['hangup', 'mute']) {
      const b = document.getElementById(id) as HTMLButtonElement | null;
      if (b) b.disabled = !live;
    }
    const mute = document.getElementById('mute');
    if (mute) mute.textContent = this.state.muted ? 'Unmute' : 'Mute';
  }
}

declare global {
  interface Window {
    embed: EmbedPhone;
  }
}

const phone = new EmbedPhone();
window.embed = phone;
document.getElementById('hangup')?.addEventListener('click', () => void phone.hangup().catch(() => undefined));
document.getElementById('mute')?.addEventListener('click', () => phone.toggleMute());
phone.start().catch((e: Error) => phone.fail(e.message));

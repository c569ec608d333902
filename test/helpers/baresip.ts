/**
 * baresip as a headless SIP phone for end-to-end tests: a generated config directory, the
 * `aufile` source playing a WAV, the `sndfile` filter writing what the phone hears (and sends)
 * to WAV files, ALSA's null device instead of a sound card, and `ctrl_tcp` to drive it (dial,
 * answer, hang up, DTMF) and to receive its call events.
 */
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type OwnedProcess, spawnOwned } from './processes.js';

export interface BaresipOptions {
  /** SIP user of the account (also the display name). */
  user: string;
  password?: string;
  /** Where the account registers; omit for a phone that only dials/receives direct URIs. */
  registrar?: { host: string; port: number; transport?: 'udp' | 'tcp' };
  /** Audio codecs in preference order (baresip names). */
  codecs?: ('PCMU' | 'PCMA' | 'opus')[];
  /** Mono 16-bit WAV the phone "speaks"; its rate must equal `sampleRate`. */
  playWav?: string;
  sampleRate?: 8000 | 16000 | 48000;
  autoAnswer?: boolean;
  /** Extra lines for the config file. */
  extraConfig?: string[];
  /** Print baresip's output (debugging). */
  verbose?: boolean;
}

export interface BaresipEvent {
  type: string; // CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK, ...
  class?: string;
  param?: string;
  peeruri?: string;
  id?: string;
  [k: string]: unknown;
}

// Debian's baresip registers Opus as opus/48000/1 when opus_stereo is off; match it by name and rate.
const CODEC_NAMES: Record<string, string> = { PCMU: 'PCMU/8000/1', PCMA: 'PCMA/8000/1', opus: 'opus/48000' };

export class Baresip extends EventEmitter<{ event: [BaresipEvent]; exit: [number | null] }> {
  readonly dir: string;
  readonly sipPort: number;
  readonly user: string;
  private readonly proc: OwnedProcess;
  private ctrl: net.Socket | undefined;
  private buf = Buffer.alloc(0);
  private readonly replies: ((r: Record<string, unknown>) => void)[] = [];
  readonly output: string[] = [];

  private constructor(dir: string, sipPort: number, user: string, proc: OwnedProcess) {
    super();
    this.dir = dir;
    this.sipPort = sipPort;
    this.user = user;
    this.proc = proc;
  }

  /** The URI to dial this phone directly. */
  get uri(): string {
    return `sip:${this.user}@127.0.0.1:${this.sipPort}`;
  }

  static async start(opts: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), `sb-baresip-${opts.user}-`));
    // sip_listen binds UDP and TCP on the port, and SIP/TLS (TCP) on the port after it
    const sipPort = await freePort('127.0.0.1', 2);
    const ctrlPort = await freePort();
    const rate = opts.sampleRate ?? 48000;
    const codecs = (opts.codecs ?? ['opus', 'PCMU']).map((c) => CODEC_NAMES[c]).join(',');
    const config = [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module opus.so',
      'module aufile.so',
      'module alsa.so',
      'module sndfile.so',
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${dir}`,
      opts.playWav ? `audio_source aufile,${opts.playWav}` : 'audio_source aufile,/dev/null',
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `ausrc_srate ${rate}`,
      `auplay_srate ${rate}`,
      'ausrc_channels 1',
      'auplay_channels 1',
      'rtp_tos 0',
      'opus_stereo no',
      'opus_sprop_stereo no',
      'net_interface 127.0.0.1',
      ...(opts.extraConfig ?? []),
    ];
    writeFileSync(join(dir, 'config'), config.join('\n') + '\n');
    const reg = opts.registrar;
    const domain = reg ? `${reg.host}:${reg.port}` : '127.0.0.1';
    const params = [
      opts.password ? `auth_pass=${opts.password}` : '',
      `audio_codecs=${codecs}`,
      opts.autoAnswer ? 'answermode=auto' : 'answermode=manual',
      reg ? 'regint=600' : 'regint=0',
      'mediaenc=',
    ].filter((p) => p && p !== 'mediaenc=');
    const transport = reg?.transport ?? 'udp';
    writeFileSync(join(dir, 'accounts'), `<sip:${opts.user}@${domain};transport=${transport}>;${params.join(';')}\n`);
    writeFileSync(join(dir, 'contacts'), '');
    // baresip ignores SIGTERM: it runs in its own process group, killed with SIGKILL (see processes.ts)
    const proc = spawnOwned('baresip', ['-f', dir]);
    const child = proc.child;
    const phone = new Baresip(dir, sipPort, opts.user, proc);
    const onData = (d: Buffer): void => {
      phone.output.push(d.toString());
      if (opts.verbose) process.stderr.write(`[baresip ${opts.user}] ${d.toString()}`);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => phone.emit('exit', code));
    try {
      await phone.connectCtrl(ctrlPort);
    } catch (err) {
      await phone.stop();
      throw err;
    }
    return phone;
  }

  private async connectCtrl(port: number): Promise<void> {
    const deadline = Date.now() + 15000;
    for (;;) {
      if (!this.proc.running) throw new Error(`baresip exited: ${this.output.join('')}`);
      try {
        const sock = net.connect(port, '127.0.0.1');
        await once(sock, 'connect');
        this.ctrl = sock;
        sock.on('data', (d) => this.onCtrlData(d));
        sock.on('error', () => undefined);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('baresip ctrl_tcp did not come up');
        // poll: ctrl_tcp gives no other sign that it listens
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** ctrl_tcp speaks JSON in netstrings. */
  private onCtrlData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString());
      if (!Number.isFinite(len) || this.buf.length < colon + 1 + len + 1) return;
      const body = this.buf.subarray(colon + 1, colon + 1 + len).toString();
      this.buf = this.buf.subarray(colon + 2 + len);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(body) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event) this.emit('event', msg as unknown as BaresipEvent);
      else if (msg.response) this.replies.shift()?.(msg);
    }
  }

  /** Runs a baresip command (`dial`, `hangup`, `accept`, `sndcode`, ...). */
  command(command: string, params = ''): Promise<Record<string, unknown>> {
    const body = JSON.stringify({ command, params, token: String(Date.now()) });
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.ctrl?.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  dial(uri: string): Promise<Record<string, unknown>> {
    return this.command('dial', uri);
  }

  hangup(): Promise<Record<string, unknown>> {
    return this.command('hangup');
  }

  answer(): Promise<Record<string, unknown>> {
    return this.command('accept');
  }

  /** Sends DTMF digits in the call (RFC 4733 when negotiated). */
  sendDtmf(digits: string): Promise<Record<string, unknown>> {
    return this.command('sndcode', digits);
  }

  /** Resolves with the first event of `type` (optionally matching `pred`). */
  waitFor(type: string, timeoutMs = 20000, pred?: (e: BaresipEvent) => boolean): Promise<BaresipEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(new Error(`baresip ${this.user}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onEvent = (e: BaresipEvent): void => {
        if (e.type !== type || (pred && !pred(e))) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(e);
      };
      this.on('event', onEvent);
    });
  }

  /** WAV files sndfile wrote: `dec` = what the phone heard, `enc` = what it sent. */
  recordings(kind: 'dec' | 'enc'): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith('dump-') && f.endsWith(`-${kind}.wav`))
      .map((f) => join(this.dir, f));
  }

  /** Kills the phone (SIGKILL to its process group) and removes its directory unless `keepDir`. */
  async stop(opts?: { keepDir?: boolean }): Promise<void> {
    this.ctrl?.destroy();
    await this.proc.kill();
    if (!opts?.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

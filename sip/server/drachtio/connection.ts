/**
 * One application's admin connection: frames in and out, its routes, and whether it authenticated.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { FrameDecoder, encodeFrame } from './framing.js';
import { parseAppFrame, type AppFrame } from './messages.js';

export class AppConnection extends EventEmitter<{ frame: [AppFrame]; close: [] }> {
  readonly id: string;
  readonly routes = new Set<string>();
  authenticated = false;
  private closed = false;
  private readonly decoder = new FrameDecoder();

  constructor(
    private readonly socket: Socket,
    id: string,
    private readonly logger: Logger = pino({ level: 'silent' }),
  ) {
    super();
    this.id = id;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 45000);
    this.decoder.on('frame', (payload) => {
      let frame: AppFrame;
      try {
        frame = parseAppFrame(payload);
      } catch {
        this.close();
        return;
      }
      try {
        this.emit('frame', frame);
      } catch (err) {
        this.logger.error({ err }, 'admin frame handler failed');
      }
    });
    this.decoder.on('error', (err) => {
      this.logger.info({ err: err.message, app: id }, 'closing admin connection: bad frame');
      this.close();
    });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'admin socket error'));
    socket.on('close', () => this.finish());
  }

  send(payload: string): void {
    if (this.closed) return;
    // frames written in one turn of the event loop leave in one write: at hundreds of calls a second
    // a syscall per frame was a steady share of the main thread
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(payload));
  }

  private corked = false;

  /** Send a last frame, then close (after NO replies). */
  sendAndClose(payload: string): void {
    if (this.closed) return;
    this.socket.end(encodeFrame(payload));
    this.finish();
  }

  close(): void {
    if (this.closed) return;
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.finish();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

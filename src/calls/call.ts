import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MediaSession } from '../../media/index.js';
import type { Leg, LegEndInfo } from './leg.js';

export type CallState = 'setup' | 'active' | 'ended';

export interface CallEndInfo { reason: string; durationMs: number }

/**
 * A call: its legs and the media session that anchors their audio. Ending one leg ends the
 * call; ending the call hangs up every leg and closes the media session (ports, workers' state).
 */
export class Call extends EventEmitter<{ ended: [CallEndInfo]; 'leg-added': [Leg]; answered: [] }> {
  readonly id = randomUUID();
  readonly legs: Leg[] = [];
  readonly createdAt = Date.now();
  answeredAt: number | undefined;
  state: CallState = 'setup';
  readonly logger: Logger;

  constructor(readonly session: MediaSession, readonly dialed: string, logger: Logger) {
    super();
    this.logger = logger.child({ callId: this.id });
  }

  addLeg(leg: Leg): void {
    this.legs.push(leg);
    leg.on('ended', (info: LegEndInfo) => {
      this.logger.info({ role: leg.role, ...info }, 'leg ended');
      void this.end(`${leg.role} ${info.by === 'remote' ? 'hung up' : info.reason}`);
    });
    this.emit('leg-added', leg);
  }

  /** A method, not a field read, so that checks after an await are not narrowed away. */
  isEnded(): boolean { return this.state === 'ended'; }

  markAnswered(): void {
    if (this.state !== 'setup') return;
    this.state = 'active';
    this.answeredAt = Date.now();
    this.emit('answered');
  }

  async end(reason: string): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    await Promise.allSettled(this.legs.map((l) => l.hangup({ by: 'local', reason })));
    await this.session.close().catch((err: unknown) => this.logger.warn({ err }, 'media session close failed'));
    const durationMs = this.answeredAt ? Date.now() - this.answeredAt : 0;
    this.logger.info({ reason, durationMs }, 'call ended');
    this.emit('ended', { reason, durationMs });
  }
}

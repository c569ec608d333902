/**
 * A 20 ms tick for the places that must run on a clock (mixing, playing, recording). Ticks are
 * scheduled against absolute target times, so timer lateness does not accumulate into drift;
 * after a long stall (a blocked event loop) it catches up a few frames and then resynchronises
 * rather than bursting seconds of audio.
 */
import { performance } from 'node:perf_hooks';

const MAX_CATCH_UP = 5;

export class FrameClock {
  private readonly frameMs: number;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private onTick: (() => void) | undefined;
  /** Bumped by every start/stop, so a tick that stopped (or restarted) the clock stops firing. */
  private generation = 0;

  constructor(frameMs = 20) {
    this.frameMs = frameMs;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(onTick: () => void): void {
    if (this.timer) return;
    this.onTick = onTick;
    this.generation++;
    this.next = performance.now() + this.frameMs;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onTick = undefined;
    this.generation++;
  }

  private schedule(): void {
    const delay = Math.max(0, this.next - performance.now());
    this.timer = setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    const now = performance.now();
    const generation = this.generation;
    let ticks = 0;
    while (this.next <= now && ticks < MAX_CATCH_UP) {
      this.next += this.frameMs;
      ticks++;
      this.onTick?.();
      if (this.generation !== generation) return; // stopped or restarted from inside the tick
    }
    if (this.next <= now) this.next = now + this.frameMs;
    this.schedule();
  }
}

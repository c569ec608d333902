/** The seed's event names (PolyphoneAPI `on<Name>` registration), and a small typed emitter. */
export const EVENT_NAMES = [
  'ready',
  'connecting',
  'connected',
  'disconnected',
  'registered',
  'unregistered',
  'ringing',
  'answered',
  'ended',
  'failed',
  'muted',
  'unmuted',
  'captureAudio',
  'audioEnded',
  'infoSent',
  'infoReceived',
  'transcription',
  'error',
  /** Not in the seed: a chat message of the visitor's session (its own, or an agent's reply). */
  'message',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];
export type Handler = (data?: unknown) => void;

export class Emitter {
  private readonly handlers = new Map<EventName, Set<Handler>>();

  on(name: EventName, fn: Handler): void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn);
  }

  off(name: EventName, fn: Handler): void {
    this.handlers.get(name)?.delete(fn);
  }

  emit(name: EventName, data?: unknown): void {
    for (const fn of [...(this.handlers.get(name) ?? [])]) {
      // a host page's handler that throws must not break the call
      try {
        fn(data);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}

/** What a dialed number means on this box. */
export type Route =
  | { kind: 'echo' }
  | { kind: 'record-playback' }
  | { kind: 'user'; user: string }
  | { kind: 'trunk'; trunk: string; number: string }
  | { kind: 'unknown' };

export interface RouterOptions {
  /** Is this a user known to the registrar (registered or not)? */
  isUser: (user: string) => boolean;
  /** Trunk that carries calls to numbers nobody here owns, if any. */
  defaultTrunk?: string;
}

/** Test numbers as on any PBX, then local users, then the outbound trunk for E.164-ish numbers. */
export class CallRouter {
  constructor(private readonly opts: RouterOptions) {}

  route(dialed: string): Route {
    if (dialed === '*43') return { kind: 'echo' };
    if (dialed === '*44') return { kind: 'record-playback' };
    if (this.opts.isUser(dialed)) return { kind: 'user', user: dialed };
    if (this.opts.defaultTrunk && /^\+?[0-9]{3,15}$/.test(dialed)) {
      return { kind: 'trunk', trunk: this.opts.defaultTrunk, number: dialed };
    }
    return { kind: 'unknown' };
  }
}

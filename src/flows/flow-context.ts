/**
 * What every flow action works with: the call (through its port), speech, audio fetching, and the
 * flow's state that later callbacks report (key presses, recordings, session data).
 */
import type { Logger } from 'pino';
import type { TtsProvider } from '../speech/tts.js';
import type { FlowAction } from './actions/schema.js';
import type { FlowCallPort } from './call-port.js';
import type { DialResultRef, FlowTelephony } from './telephony.js';
import type { FlowVariables } from './variables.js';

export interface KeyPress {
  name: string;
  digits: string;
}
export interface RecordingRef {
  name: string;
  id: string;
}

/** The state a flow accumulates over the call; sent back in every callback. */
export interface FlowState {
  keyPresses: KeyPress[];
  recordings: RecordingRef[];
  sessionData: Record<string, unknown>;
  /** Results of DIAL actions, by name. */
  dials: DialResultRef[];
}

/** Fetches PLAY audio by URL to a local WAV file (cached). */
export interface AudioFetcher {
  fetch(url: string, signal: AbortSignal): Promise<string>;
}

export interface FlowContext {
  port: FlowCallPort;
  tts: TtsProvider;
  audio: AudioFetcher;
  logger: Logger;
  state: FlowState;
  /** Dialing and conference rooms (DIAL, CONFERENCE); absent where the flow runs without a call layer. */
  telephony?: FlowTelephony;
  /** Variables for conditions and templates, from the current state. */
  variables(): FlowVariables;
}

/** What the runner does after an action. */
export type ActionOutcome =
  | { kind: 'next' }
  | { kind: 'goto'; label: string }
  | { kind: 'branch'; actions: FlowAction[] }
  | { kind: 'hangup' }
  | { kind: 'redirect'; url: string; method: 'GET' | 'POST' };

export const NEXT: ActionOutcome = { kind: 'next' };

/** One running action (ARCHITECTURE: one file, one class with run() and stop()). */
export interface FlowActionRunner {
  run(): Promise<ActionOutcome>;
  /** Makes run() return soon (the call ended, or the flow was stopped). */
  stop(): void;
}

/** An AbortController whose abort is stop(): the common shape of an action's stop. */
export class Stoppable {
  protected readonly stopper = new AbortController();
  constructor(protected readonly ctx: FlowContext) {}
  /** Aborted when the action is stopped or the call ended. */
  protected get signal(): AbortSignal {
    return AbortSignal.any([this.stopper.signal, this.ctx.port.ended]);
  }
  stop(): void {
    this.stopper.abort(new Error('action stopped'));
  }
}

/**
 * The engine's limits and timeouts in one place. The composition root may override them (from
 * config) through FlowEngine's options; tests shorten them.
 */
export interface FlowLimits {
  /** Callback requests per call before the flow gives up (a server that always answers "more"). */
  maxCallbacks: number;
  /** Actions executed per call (GOTO loops). */
  maxActions: number;
  callbackTimeoutMs: number;
  /** Largest callback answer read, bytes. */
  callbackMaxBytes: number;
  /** The final (status) callback: shorter, nobody waits on its answer. */
  finalCallbackTimeoutMs: number;
  audioTimeoutMs: number;
  audioMaxBytes: number;
  audioCacheMaxAgeMs: number;
  audioCacheMaxBytes: number;
}

export const FLOW_LIMITS: FlowLimits = {
  maxCallbacks: 200,
  maxActions: 10_000,
  callbackTimeoutMs: 5000,
  callbackMaxBytes: 256 * 1024,
  finalCallbackTimeoutMs: 5000,
  audioTimeoutMs: 10_000,
  audioMaxBytes: 20 * 1024 * 1024,
  audioCacheMaxAgeMs: 60 * 60 * 1000,
  audioCacheMaxBytes: 512 * 1024 * 1024,
};

/** What the caller hears when no callback server answers with a usable flow. */
export const ERROR_PROMPT = 'We are sorry. This call cannot be completed right now. Goodbye.';

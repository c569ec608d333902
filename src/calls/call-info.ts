/**
 * Application events a caller sends in its call as SIP INFO (the web widget's
 * `PolyphoneAPI.sendInfo(event, data)`): a JSON body `{"event": "...", "data": ...}`. Each one is
 * screened here before it reaches the application (the flow's session data and the
 * `phone_call.info` webhook): every accepted INFO becomes a stored event and a delivery per
 * webhook, so a caller may not send big ones, malformed ones, or many.
 */

export interface CallInfo {
  event: string;
  data: unknown;
}

/** What a screened INFO gets: the SIP answer, and the event when it is one. */
export type InfoVerdict = { status: 200; info: CallInfo } | { status: number; reason: string; headers?: Record<string, string> };

export const INFO_LIMITS = {
  /** Bytes of body: context for the application, not a file transfer. */
  maxBodyBytes: 4096,
  /** INFOs a leg may send in one second (a burst from a page's script loop is refused, 503 + Retry-After). */
  perSecond: 5,
  /** INFOs a leg may send over the whole call. */
  perCall: 100,
} as const;

const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Is it ours to deliver: `application/json` with an event name (DTMF relay INFOs are the media's). */
export function parseCallInfo(contentType: string, body: string): InfoVerdict {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    return { status: 415, reason: 'Unsupported Media Type', headers: { Accept: 'application/json' } };
  if (Buffer.byteLength(body) > INFO_LIMITS.maxBodyBytes) return { status: 413, reason: 'Request Entity Too Large' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { status: 400, reason: 'Bad Request: body is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { status: 400, reason: 'Bad Request: expected {"event", "data"}' };
  const { event, data } = parsed as { event?: unknown; data?: unknown };
  if (typeof event !== 'string' || !EVENT_NAME.test(event))
    return { status: 400, reason: 'Bad Request: event must be 1-64 letters, digits or _.:-' };
  return { status: 200, info: { event, data: data ?? null } };
}

/** One leg's INFO allowance: a fixed one-second window and a total for the call. */
export class InfoBudget {
  private windowStart = 0;
  private inWindow = 0;
  private total = 0;

  constructor(
    private readonly limits: { perSecond: number; perCall: number } = INFO_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one INFO; the refusal when the leg is over its allowance. */
  take(): { status: number; reason: string; headers?: Record<string, string> } | undefined {
    if (this.total >= this.limits.perCall) return { status: 403, reason: 'Forbidden: too many INFO requests in this call' };
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.limits.perSecond)
      return { status: 503, reason: 'Too Many INFO Requests', headers: { 'Retry-After': '1' } };
    this.inWindow++;
    this.total++;
    return undefined;
  }
}

/** Screens one INFO of a leg: its body, then its allowance (a malformed INFO costs a reply, never a stored event). */
export function screenInfo(budget: InfoBudget, contentType: string, body: string): InfoVerdict {
  const verdict = parseCallInfo(contentType, body);
  if (verdict.status !== 200) return verdict;
  return budget.take() ?? verdict;
}

/** Why an application's INFO toward a party was not delivered. */
export class InfoNotDelivered extends Error {
  constructor(
    /** `gone`: the party's leg ended; `refused`: the party answered with a failure; `unsupported`: the leg cannot carry one. */
    readonly why: 'gone' | 'refused' | 'unsupported' | 'too-large' | 'bad-event',
    message: string,
    /** The party's SIP answer, when it gave one. */
    readonly sipStatus?: number,
  ) {
    super(message);
    this.name = 'InfoNotDelivered';
  }
}

/**
 * The body of an application's INFO toward a party: the same `{"event", "data"}` JSON a caller
 * sends, under the same size limit, so a page's `onInfoReceived` reads what its own `sendInfo` writes.
 */
export function formatCallInfo(info: CallInfo): string {
  if (!EVENT_NAME.test(info.event)) throw new InfoNotDelivered('bad-event', 'event must be 1-64 letters, digits or _.:-');
  const body = JSON.stringify({ event: info.event, data: info.data ?? null });
  if (Buffer.byteLength(body) > INFO_LIMITS.maxBodyBytes)
    throw new InfoNotDelivered('too-large', `the INFO body would exceed ${INFO_LIMITS.maxBodyBytes} bytes`);
  return body;
}

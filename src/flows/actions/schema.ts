/**
 * The JSON call-flow actions a callback server answers with, in the field names of the Voxology
 * call-flow format (`params`, `finish_on_key`, `session_data`, `orElse`, ...). Each schema covers
 * one action's own fields; nested action lists (COLLECT prompts, IF branches) are parsed by
 * `parse.ts`, so a bad nested action is reported on its own instead of failing its parent.
 * Unknown fields (`comment`, `comments`, ...) are dropped. Durations are milliseconds unless named
 * otherwise (`timeout` of DIAL is seconds, as in Make Call).
 */
import { z } from 'zod';

/** A whole number, also accepted as a string of digits (form-minded servers send "1"). */
const int = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\s*-?\d{1,12}\s*$/)
        .transform(Number),
    ])
    .pipe(z.number().int().min(min).max(max));
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const text = (max: number) => z.string().max(max);
const httpUrl = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u), 'expected an http(s) URL');
/** Plain JSON object of user data. */
const sessionData = z.record(z.string().max(256), z.unknown());

/**
 * DTMF keys as the format names them: `pound`/`#`, `star`/`*`, a digit, or `none`/'' for no
 * finishing key. Normalised to the key itself ('#', '*', '0'-'9', 'A'-'D') or '' for none.
 */
export const dtmfKey = z
  .string()
  .max(5)
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(['pound', '#', 'star', '*', 'none', '', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd']))
  .transform((v) => (v === 'pound' ? '#' : v === 'star' ? '*' : v === 'none' ? '' : v.toUpperCase()));

const named = { name: z.string().min(1).max(128).optional() };

export const sayAction = z.object({
  type: z.literal('SAY'),
  ...named,
  params: z.object({
    /** Spoken text; `${path}` is replaced by flow variables before synthesis. */
    text: text(5000),
    /** Times to say it (0: until the call or the enclosing COLLECT moves on); default 1. */
    loop: int(0, 100).default(1),
    voice: z.string().max(64).optional(),
    language: z.string().max(35).optional(),
  }),
});

export const playAction = z.object({
  type: z.literal('PLAY'),
  ...named,
  params: z.object({ url: httpUrl, loop: int(0, 100).default(1) }),
});

export const pauseAction = z.object({
  type: z.literal('PAUSE'),
  ...named,
  /** Silence length in ms; default 1000. */
  params: z.object({ length: int(0, 600_000).default(1000) }).prefault({}),
});

export const collectAction = z.object({
  type: z.literal('COLLECT'),
  /** Names the key presses in `key_presses[]` of later callbacks. */
  ...named,
  params: z
    .object({
      finish_on_key: dtmfKey.default('#'),
      /** Stop after this many digits (0: only the finishing key or the timeout ends it). */
      num_digits: int(0, 64).default(0),
      /** Wait for the first (then the next) key press, in ms. */
      timeout: int(0, 600_000).default(5000),
    })
    .prefault({}),
});

export const ifAction = z.object({
  type: z.literal('IF'),
  ...named,
  /** Condition in the expression language of `src/flows/expression.ts`. */
  condition: text(4096),
});

export const gotoAction = z.object({
  type: z.literal('GOTO'),
  ...named,
  params: z.object({ label: z.string().min(1).max(128) }),
});

export const labelAction = z.object({
  type: z.literal('LABEL'),
  /** The label GOTO jumps to (`name` at the top level, as in the format's examples). */
  name: z.string().min(1).max(128),
});

export const sessionDataAction = z.object({
  type: z.literal('SESSIONDATA'),
  ...named,
  /** Merged key by key into the call's session data. */
  session_data: sessionData,
});

export const dialAction = z.object({
  type: z.literal('DIAL'),
  /** Names the result in `dials[]` of later callbacks (default `dial`). */
  ...named,
  params: z.object({
    /** E.164 number (through the trunk) or the username of one of the project's agents; `${...}` templates allowed. */
    no: z.string().min(1).max(128),
    /** One of the project's numbers; default the call's own number. */
    caller_id_no: z.string().max(64).optional(),
    /** Ring time in seconds before giving up (as Make Call's `timeout`). */
    timeout: int(1, 3600).default(60),
    /** Longest the bridged call may last, ms. */
    max_call_time: int(1000, 86_400_000).optional(),
  }),
  /** Merged into the call's session data before dialing (as SESSIONDATA). */
  session_data: sessionData.optional(),
});

export const conferenceAction = z.object({
  type: z.literal('CONFERENCE'),
  ...named,
  params: z.object({
    /** The room; one per name and project. */
    name: z.string().min(1).max(128),
    /** Hears the room, is not heard. */
    muted: bool.default(false),
    /** End the conference for everyone when this caller leaves. */
    end_on_exit: bool.default(false),
    /** A beep before the caller enters the room. */
    beep: bool.default(true),
    /** The key that leaves the room and continues the script ('' or `none`: no key). */
    finish_on_key: dtmfKey.default('#'),
    /** Longest stay in the room, ms (default: no limit). */
    max_time: int(1000, 86_400_000).optional(),
  }),
});

export const recordAction = z.object({
  type: z.literal('RECORD'),
  /** Names the recording in `recordings[]` of later callbacks. */
  ...named,
  params: z
    .object({
      /** Longest recording, ms. */
      max_length: int(1000, 3_600_000).default(60_000),
      finish_on_key: dtmfKey.default('#'),
      /** Silence that ends the recording, ms (0: silence never ends it). */
      timeout: int(0, 600_000).default(5000),
      beep: bool.default(true),
    })
    .prefault({}),
});

export const hangupAction = z.object({ type: z.literal('HANGUP'), ...named });

/**
 * Not in the Voxology format: an application event to the caller as a SIP INFO `{"event","data"}`
 * (a web visitor's page hears it as `onInfoReceived`; the same shape its `sendInfo` sends).
 */
export const infoAction = z.object({
  type: z.literal('INFO'),
  ...named,
  params: z.object({
    event: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 letters, digits or _.:-'),
    data: z.unknown().optional(),
  }),
});

export const redirectAction = z.object({
  type: z.literal('REDIRECT'),
  ...named,
  /** Replace the rest of the flow with the actions fetched from `url`. */
  params: z.object({
    url: httpUrl,
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(['GET', 'POST']))
      .default('POST'),
  }),
});

/** Schemas of the actions without nested lists, by upper-case type. */
export const actionSchemas = {
  SAY: sayAction,
  PLAY: playAction,
  PAUSE: pauseAction,
  COLLECT: collectAction,
  IF: ifAction,
  GOTO: gotoAction,
  LABEL: labelAction,
  SESSIONDATA: sessionDataAction,
  DIAL: dialAction,
  CONFERENCE: conferenceAction,
  RECORD: recordAction,
  HANGUP: hangupAction,
  REDIRECT: redirectAction,
  INFO: infoAction,
} as const;

export type ActionType = keyof typeof actionSchemas;
export const ACTION_TYPES = Object.keys(actionSchemas) as ActionType[];

export type SayAction = z.output<typeof sayAction>;
export type PlayAction = z.output<typeof playAction>;
export type PauseAction = z.output<typeof pauseAction>;
/** What a COLLECT plays while it waits for keys. */
export type PromptAction = SayAction | PlayAction | PauseAction;
export type CollectAction = z.output<typeof collectAction> & { actions: PromptAction[] };
export type IfAction = z.output<typeof ifAction> & { then: FlowAction[]; orElse: FlowAction[] };
export type GotoAction = z.output<typeof gotoAction>;
export type LabelAction = z.output<typeof labelAction>;
export type SessionDataAction = z.output<typeof sessionDataAction>;
export type DialAction = z.output<typeof dialAction>;
export type ConferenceAction = z.output<typeof conferenceAction>;
export type RecordAction = z.output<typeof recordAction>;
export type HangupAction = z.output<typeof hangupAction>;
export type RedirectAction = z.output<typeof redirectAction>;
export type InfoAction = z.output<typeof infoAction>;

export type FlowAction =
  | SayAction
  | PlayAction
  | PauseAction
  | CollectAction
  | IfAction
  | GotoAction
  | LabelAction
  | SessionDataAction
  | DialAction
  | ConferenceAction
  | RecordAction
  | HangupAction
  | RedirectAction
  | InfoAction;

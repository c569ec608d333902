/**
 * Turns a callback server's answer into actions. One bad action does not sink the flow: it is
 * reported (and logged) and left out, and the rest runs, as a caller would rather hear most of a
 * flow than silence. Limits keep a hostile answer from costing much.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  type ActionType,
  type CollectAction,
  type FlowAction,
  type IfAction,
  type PromptAction,
  actionSchemas,
} from './schema.js';

export const PARSE_LIMITS = { maxActions: 1000, maxDepth: 16 } as const;

export interface ActionParseError {
  /** Where in the answer, e.g. `actions[2].then[0]`. */
  path: string;
  /** The action's type as given (before upper-casing), when there was one. */
  type?: string;
  message: string;
}

export interface ActionParseResult {
  actions: FlowAction[];
  errors: ActionParseError[];
}

const PROMPT_TYPES = new Set(['SAY', 'PLAY', 'PAUSE']);

class ActionParser {
  readonly errors: ActionParseError[] = [];
  private count = 0;

  list(raw: unknown, path: string, depth: number): FlowAction[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.errors.push({ path, message: 'expected an array of actions' });
      return [];
    }
    if (depth > PARSE_LIMITS.maxDepth) {
      this.errors.push({ path, message: `actions nested deeper than ${PARSE_LIMITS.maxDepth}` });
      return [];
    }
    const out: FlowAction[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (++this.count > PARSE_LIMITS.maxActions) {
        this.errors.push({
          path: `${path}[${i}]`,
          message: `more than ${PARSE_LIMITS.maxActions} actions; the rest are ignored`,
        });
        break;
      }
      const action = this.one(raw[i], `${path}[${i}]`, depth);
      if (action) out.push(action);
    }
    return out;
  }

  private one(raw: unknown, path: string, depth: number): FlowAction | undefined {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.errors.push({ path, message: 'an action must be an object' });
      return undefined;
    }
    const given = (raw as Record<string, unknown>).type;
    if (typeof given !== 'string' || !given) {
      this.errors.push({ path, message: 'action without a type' });
      return undefined;
    }
    const type = given.trim().toUpperCase();
    if (!Object.hasOwn(actionSchemas, type)) {
      this.errors.push({ path, type: given.slice(0, 64), message: `unknown action type "${given.slice(0, 64)}"` });
      return undefined;
    }
    const schema: z.ZodType = actionSchemas[type as ActionType];
    const parsed = schema.safeParse({ ...(raw as Record<string, unknown>), type });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      this.errors.push({ path, type: given.slice(0, 64), message: `${type}: ${where}${issue.message}` });
      return undefined;
    }
    const action = parsed.data as FlowAction;
    const rec = raw as Record<string, unknown>;
    if (type === 'COLLECT') {
      const prompts = this.list(rec.actions, `${path}.actions`, depth + 1).filter((a, i) => {
        if (PROMPT_TYPES.has(a.type)) return true;
        this.errors.push({
          path: `${path}.actions[${i}]`,
          type: a.type,
          message: `COLLECT can only play SAY, PLAY and PAUSE prompts, not ${a.type}`,
        });
        return false;
      });
      (action as CollectAction).actions = prompts as PromptAction[];
    } else if (type === 'IF') {
      // `then` is the format's name. An array is not callable, so an IfAction is never taken for a promise.
      (action as IfAction).then = this.list(rec.then, `${path}.then`, depth + 1);
      (action as IfAction).orElse = this.list(rec.orElse, `${path}.orElse`, depth + 1);
    }
    return action;
  }
}

/** Parses an array of actions; logs each error at warn on `logger` (with `path`, `type`). */
export function parseActions(raw: unknown, logger?: Logger): ActionParseResult {
  const parser = new ActionParser();
  const actions = parser.list(raw, 'actions', 0);
  for (const e of parser.errors) logger?.warn({ path: e.path, type: e.type }, `call flow: ${e.message}`);
  return { actions, errors: parser.errors };
}

/**
 * The body a callback server answers with: `{"actions": [...]}` (a bare array is accepted too).
 * An empty body (the final callback's answer, or a server with nothing to add) is no actions.
 */
export function parseCallbackResponse(body: unknown, logger?: Logger): ActionParseResult {
  if (body === undefined || body === null || body === '') return { actions: [], errors: [] };
  if (Array.isArray(body)) return parseActions(body, logger);
  if (typeof body === 'object' && Object.hasOwn(body, 'actions'))
    return parseActions((body as { actions: unknown }).actions, logger);
  const errors: ActionParseError[] = [{ path: '', message: 'expected {"actions": [...]}' }];
  logger?.warn('call flow: callback answer is not {"actions": [...]}');
  return { actions: [], errors };
}

/** Every LABEL name in a flow, nested ones included, for GOTO; a duplicate is an error. */
export function collectLabels(actions: readonly FlowAction[]): { labels: Set<string>; duplicates: string[] } {
  const labels = new Set<string>();
  const duplicates: string[] = [];
  const walk = (list: readonly FlowAction[]) => {
    for (const a of list) {
      if (a.type === 'LABEL') {
        if (labels.has(a.name)) duplicates.push(a.name);
        labels.add(a.name);
      } else if (a.type === 'IF') {
        walk(a.then);
        walk(a.orElse);
      }
    }
  };
  walk(actions);
  return { labels, duplicates };
}

/**
 * Voxology's REST on calls run by call flows: `POST /v1/Dials/Connect` places a call through the
 * trunk and runs a flow when it is answered; a live call's flow can be redirected (new inline
 * actions or a new callback URL), given session data, or hung up.
 */
import { z } from 'zod';
import { CallRequestError, type ApiCalls } from '../../src/calls/api-calls.js';
import type { FlowCalls, LiveFlow } from '../../src/calls/flow-calls.js';
import { parseActions } from '../../src/flows/actions/parse.js';
import { checkTarget, TargetRefusedError } from '../../src/events/target-guard.js';
import { CALL_STATUSES, type CallRecord } from '../../src/store/index.js';
import { ApiError, ownedBy, unprocessable } from '../errors.js';
import type { ApiContext, RouteModule } from '../context.js';
import { idParams } from './numbers.js';

/** Session data a request may carry (the flow engine refuses more than this from SESSIONDATA too). */
const MAX_SESSION_DATA_BYTES = 64 * 1024;
const sessionData = z
  .record(z.string(), z.unknown())
  .refine((d) => JSON.stringify(d).length <= MAX_SESSION_DATA_BYTES, 'at most 64 KB of JSON');

const connectBody = z.object({
  call: z.object({
    no: z.string().max(32),
    caller_id_no: z.string().max(32).optional(),
  }),
  session_data: sessionData.nullable().optional(),
  /** Seconds to ring. */
  timeout: z.number().int().min(1).max(600).optional(),
  /** Milliseconds from the answer to the hangup. */
  max_call_time: z.number().int().min(1000).max(86_400_000).optional(),
  /** The application whose flow runs; default the caller ID number's callback configuration. */
  app_id: z.coerce.number().int().positive().optional(),
});

const redirectBody = z.object({
  url: z.string().max(2048).url().optional(),
  method: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['GET', 'POST']))
    .optional(),
  actions: z.array(z.unknown()).max(1000).optional(),
});

/** An application event toward a party (`POST /v1/calls/:id/info`). */
const infoBody = z.object({
  event: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 letters, digits or _.:-'),
  data: z.unknown().optional(),
  /** Which party: the caller (the web visitor, or whoever called in; default) or the called party. */
  to: z.enum(['caller', 'callee']).default('caller'),
});

const liveAnswer = z.object({ status: z.literal('success'), call_id: z.string(), phone_call_id: z.number().int() });

async function mapped<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CallRequestError)
      throw new ApiError(err.status, err.message, err.retryAfter !== undefined ? { 'Retry-After': String(err.retryAfter) } : {});
    throw err;
  }
}

function flowCalls(ctx: ApiContext): FlowCalls {
  if (!ctx.flowCalls) throw new ApiError(503, 'call flows are not available on this server');
  return ctx.flowCalls;
}

/** Ownership first (404/403), then liveness (409). */
async function liveFlowOf(ctx: ApiContext, projectId: number, id: number): Promise<{ record: CallRecord; flow: LiveFlow }> {
  const record = ownedBy(projectId, await ctx.store.calls.get(id), 'call');
  return { record, flow: await mapped(() => flowCalls(ctx).liveFlow(record)) };
}

export const dialRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'post',
    path: '/v1/Dials/Connect',
    summary: 'Make a call: dial call.no through the trunk from one of your numbers and run the call flow when answered',
    tags: ['calls', 'applications'],
    auth: 'project',
    scope: 'calls:write',
    body: connectBody,
    status: 201,
    errors: [403, 404, 422, 503],
    response: z.object({
      status: z.literal('success'),
      call_id: z.string(),
      phone_call_id: z.number().int(),
      call_status: z.enum(CALL_STATUSES),
    }),
    handler: async ({ project, body }) => {
      const r = await mapped(() =>
        flowCalls(ctx).place(project.id, {
          to: body.call.no,
          callerId: body.call.caller_id_no,
          appId: body.app_id,
          sessionData: body.session_data ?? null,
          timeoutS: body.timeout,
          maxCallTimeMs: body.max_call_time,
          fields: { to: 'call.no', callerId: 'call.caller_id_no', appId: 'app_id' },
        }),
      );
      return {
        status: 'success' as const,
        call_id: String(r.record.id),
        phone_call_id: r.record.id,
        call_status: r.record.status,
      };
    },
  });

  api.route({
    method: 'post',
    path: '/v1/calls/:id/redirect',
    summary: 'Modify a live call: its flow stops what it is doing and runs the inline actions, or asks the new callback URL',
    tags: ['calls', 'applications'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    body: redirectBody,
    errors: [403, 404, 409, 422],
    response: liveAnswer,
    handler: async ({ project, params, body }) => {
      const { record, flow } = await liveFlowOf(ctx, project.id, params.id);
      if ((body.url === undefined) === (body.actions === undefined)) throw unprocessable('body: give either url or actions');
      if (body.url !== undefined) {
        try {
          await checkTarget(body.url, ctx.allowPrivateWebhookTargets);
        } catch (err) {
          if (err instanceof TargetRefusedError) throw unprocessable(`url: ${err.message}`);
          throw err;
        }
        flow.redirect({ url: body.url, method: body.method ?? 'POST' });
      } else {
        const parsed = parseActions(body.actions);
        const bad = parsed.errors[0];
        if (bad) throw unprocessable(`${bad.path}: ${bad.message}`);
        if (parsed.actions.length === 0) throw unprocessable('actions: at least one action');
        flow.redirect({ actions: body.actions! });
      }
      return { status: 'success' as const, call_id: String(record.id), phone_call_id: record.id };
    },
  });

  api.route({
    method: 'post',
    path: '/v1/calls/:id/session_data',
    summary: "Inject session data into a live call's flow (merged; the next callback and ${sessionData.x} see it)",
    tags: ['calls', 'applications'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    body: z.object({ session_data: sessionData.optional() }),
    errors: [403, 404, 409, 422],
    response: liveAnswer,
    handler: async ({ project, params, body }) => {
      const { record, flow } = await liveFlowOf(ctx, project.id, params.id);
      if (!body.session_data) throw unprocessable('session_data: required (an object)');
      if (!flow.mergeSessionData(body.session_data))
        throw unprocessable(`session_data: the call's session data would exceed ${MAX_SESSION_DATA_BYTES / 1024} KB of JSON`);
      return { status: 'success' as const, call_id: String(record.id), phone_call_id: record.id };
    },
  });

  api.route({
    method: 'post',
    path: '/v1/calls/:id/info',
    summary:
      'Send an application event to a party of a live call as a SIP INFO {"event","data"} (a web visitor\'s page hears it as onInfoReceived); answers once the party accepted it',
    tags: ['calls', 'applications'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    // checked after ownership, so a foreign call answers 403 whatever the body says
    body: z.object({ event: z.unknown().optional(), data: z.unknown().optional(), to: z.unknown().optional() }),
    errors: [403, 404, 409, 422, 502],
    response: liveAnswer,
    handler: async ({ project, params, body }) => {
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const info = infoBody.safeParse(body);
      if (!info.success) {
        const issue = info.error.issues[0]!;
        throw unprocessable(`${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const calls: ApiCalls | undefined = ctx.calls;
      if (!calls || !calls.isLive(record)) throw new ApiError(409, 'the call is not live');
      const { event, data, to } = info.data;
      await mapped(() => calls.sendInfo(record, { event, data: data ?? null }, to));
      return { status: 'success' as const, call_id: String(record.id), phone_call_id: record.id };
    },
  });

  api.route({
    method: 'post',
    path: '/v1/calls/:id/hangup',
    summary: 'Hang up a live call (409 once it is over)',
    tags: ['calls', 'applications'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    errors: [403, 404, 409],
    response: liveAnswer.extend({ call_status: z.enum(CALL_STATUSES) }),
    handler: async ({ project, params }) => {
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const calls: ApiCalls | undefined = ctx.calls;
      if (!calls || !calls.isLive(record)) throw new ApiError(409, 'the call is not live');
      const after = await calls.hangup(record);
      return { status: 'success' as const, call_id: String(after.id), phone_call_id: after.id, call_status: after.status };
    },
  });
};

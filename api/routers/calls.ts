/** The Phonevoice calls API (`/api/v1/calls`): initiate a bridge, list, read, hang up, add a listen-only monitor. */
import { z } from 'zod';
import { CALL_STATUSES, CALLBACK_FAILURE_OUTCOMES, type CallbackFailure, type CallRecord } from '../../src/store/index.js';
import { CallRequestError, type ApiCalls } from '../../src/calls/api-calls.js';
import { ApiError, ownedBy } from '../errors.js';
import type { RouteModule } from '../context.js';
import { idParams } from './numbers.js';
import { callRowsPageText, callText, hangupText } from '../call-text.js';
import { JsonText } from '../route.js';

export const callSchema = z.object({
  id: z.number().int(),
  phone_call_id: z.number().int(),
  telephony_ref: z.string().nullable(),
  status: z.enum(CALL_STATUSES),
  direction: z.enum(['inbound', 'outbound']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  sip_status: z.number().int().nullable(),
  reason: z.string().nullable(),
  created_at: z.string(),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration: z.number().int().nullable(),
  recording: z.boolean(),
  enable_recording: z.boolean(),
  enable_transcription: z.boolean(),
  enable_analysis: z.boolean(),
  legs: z.array(z.record(z.string(), z.unknown())),
});

export type CallJson = z.input<typeof callSchema>;

export function callJson(c: CallRecord): CallJson {
  return {
    id: c.id,
    phone_call_id: c.id,
    telephony_ref: c.telephonyRef,
    status: c.status,
    direction: c.direction,
    from: c.from,
    to: c.to,
    sip_status: c.sipStatus,
    reason: c.reason,
    created_at: c.createdAt,
    answered_at: c.answeredAt,
    ended_at: c.endedAt,
    duration: c.duration,
    // The path stays on the server; recordings are served through signed URLs (a later issue).
    recording: c.recordingPath !== null,
    enable_recording: c.enableRecording,
    enable_transcription: c.enableTranscription,
    enable_analysis: c.enableAnalysis,
    legs: c.legs,
  };
}

/** A call-flow callback that got no usable answer, as the call record shows it. */
const callbackFailureSchema = z.object({
  at: z.string(),
  /** The request's `type`: init_call, actions_complete, redirect, call_ended. */
  callback_type: z.string(),
  url: z.string(),
  error: z.string(),
  fallback_url: z.string().nullable(),
  fallback_error: z.string().nullable(),
  outcome: z.enum(CALLBACK_FAILURE_OUTCOMES),
});

/** One call as `GET /api/v1/calls/:id` answers it: the list's fields and the call flow's callback failures. */
export const callDetailSchema = callSchema.extend({ callback_failures: z.array(callbackFailureSchema) });

export function callbackFailureJson(f: CallbackFailure): z.input<typeof callbackFailureSchema> {
  return {
    at: f.at,
    callback_type: f.callbackType,
    url: f.url,
    error: f.error,
    fallback_url: f.fallbackUrl,
    fallback_error: f.fallbackError,
    outcome: f.outcome,
  };
}

const initiateBody = z.object({
  call_type: z.literal('bridge').optional(),
  vendeur_mode: z.enum(['browser', 'phone']).optional(),
  agent_id: z.number().int().positive().optional(),
  recipient_phone_number: z.string().max(32),
  inbound_phone_number: z.string().max(64).optional(),
  enable_recording: z.boolean().optional(),
  enable_transcription: z.boolean().optional(),
  enable_analysis: z.boolean().optional(),
});

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date')
  .transform((s) => new Date(s).toISOString());
const listQuery = z.object({
  status: z.enum(CALL_STATUSES).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  page: z.coerce.number().int().positive().max(100000).default(1),
  per_page: z.coerce.number().int().positive().max(500).default(50),
});

const hangupResponse = z.object({
  status: z.literal('success'),
  phone_call_id: z.number().int(),
  call_status: z.enum(CALL_STATUSES),
  call: callSchema,
});

/** The domain's refusals become the API's error answers. */
async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CallRequestError)
      throw new ApiError(err.status, err.message, err.retryAfter !== undefined ? { 'Retry-After': String(err.retryAfter) } : {});
    throw err;
  }
}

export const callRoutes: RouteModule = (api, ctx) => {
  const control = (): ApiCalls => {
    if (!ctx.calls) throw new ApiError(503, 'calls are not available on this server');
    return ctx.calls;
  };

  api.route({
    method: 'post',
    path: '/api/v1/calls/initiate',
    summary: 'Start an outbound call (call_type "bridge": the agent line first, then the recipient)',
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:write',
    body: initiateBody,
    status: 201,
    errors: [403, 404, 422, 503],
    response: z.object({
      status: z.literal('success'),
      phone_call_id: z.number().int(),
      telephony_ref: z.string(),
      cable_token: z.string(),
    }),
    handler: async ({ project, body }) => {
      const r = await mapped(() =>
        control().initiate(project.id, {
          callType: body.call_type,
          vendeurMode: body.vendeur_mode,
          agentId: body.agent_id,
          recipient: body.recipient_phone_number,
          inboundPhoneNumber: body.inbound_phone_number,
          enableRecording: body.enable_recording,
          enableTranscription: body.enable_transcription,
          enableAnalysis: body.enable_analysis,
        }),
      );
      return { status: 'success' as const, phone_call_id: r.record.id, telephony_ref: r.telephonyRef, cable_token: r.cableToken };
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/calls',
    summary: 'Your calls, newest first (filter by status, direction and creation date)',
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:read',
    query: listQuery,
    response: z.object({ calls: z.array(callSchema), page: z.number().int(), per_page: z.number().int(), has_more: z.boolean() }),
    handler: async ({ project, query }) => {
      const { rows, hasMore } = await ctx.store.calls.listing(project.id, {
        status: query.status,
        direction: query.direction,
        from: query.from,
        to: query.to,
        limit: query.per_page,
        offset: (query.page - 1) * query.per_page,
      });
      return new JsonText(callRowsPageText({ rows, page: query.page, per_page: query.per_page, has_more: hasMore }));
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/calls/:id',
    summary: "One of your calls, with its call flow's failed callbacks (callback_failures)",
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:read',
    params: idParams,
    response: callDetailSchema,
    // The call's own fields by the fast writer; the rare failures list by JSON.stringify.
    serialize: ({ callback_failures, ...call }) =>
      `${callText(call).slice(0, -1)},"callback_failures":${JSON.stringify(callback_failures)}}`,
    errors: [403, 404],
    handler: async ({ project, params }) => {
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const failures = await ctx.store.callbackFailures.list(record.id);
      return { ...callJson(record), callback_failures: failures.map(callbackFailureJson) };
    },
  });

  api.route({
    method: 'post',
    path: '/api/v1/calls/:id/hangup',
    summary: 'Hang up a call in any state; a call already over answers its final status',
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    response: hangupResponse,
    serialize: hangupText,
    errors: [404],
    handler: async ({ project, params }) => {
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const after = ctx.calls ? await ctx.calls.hangup(record) : record;
      return { status: 'success' as const, phone_call_id: after.id, call_status: after.status, call: callJson(after) };
    },
  });

  api.route({
    method: 'post',
    path: '/api/v1/calls/:id/add_monitor',
    summary: 'Dial a supervisor (number or agent) into the live call, listen-only',
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    body: z.object({ supervisor_phone: z.string().min(1).max(64).optional() }),
    errors: [403, 404, 409, 422],
    response: z.object({ status: z.literal('success'), phone_call_id: z.number().int(), supervisor_phone: z.string() }),
    handler: async ({ project, params, body }) => {
      // Whose call it is is answered before what is wrong with the request (403 never hides behind a 422).
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const supervisor = body.supervisor_phone;
      if (!supervisor) throw new ApiError(422, 'supervisor_phone: required (an E.164 number or an agent username)');
      await mapped(() => control().addMonitor(project.id, record, supervisor));
      return { status: 'success' as const, phone_call_id: record.id, supervisor_phone: supervisor };
    },
  });
};

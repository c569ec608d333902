/**
 * The native variables a flow reads (`$keyPresses`, `${callTime}`, `$sessionData.x`, ...), built
 * from the same call state the callback request carries, so a condition sees what the callback
 * server would. Names are the request's fields in camelCase.
 */
import type { CallbackRequest } from './callback-request.js';
import type { FlowValue, FlowVariables } from './variables.js';

/** JSON round trip: session data from anywhere becomes plain data (no prototypes, no accessors). */
function plain(v: unknown): FlowValue {
  if (v === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(v)) as FlowValue;
  } catch {
    return null;
  }
}

/**
 * @param callTimeMs ms since the call was answered (`${callTime}`).
 *
 * `keyPresses` is the digits of the most recent COLLECT (what `$keyPresses == '1'` tests);
 * `collected.<name>` the digits of each named COLLECT; `recordingIds.<name>` each named RECORD's id;
 * `dialStatus`/`dialDuration`/`dialCallId` the most recent DIAL's result, `dials.<name>.status` (and
 * `.duration`, `.callId`, `.no`) each named DIAL's.
 */
export function nativeVariables(request: CallbackRequest, callTimeMs: number): FlowVariables {
  const collected: Record<string, FlowValue> = Object.create(null);
  for (const k of request.key_presses) collected[k.name] = k.digits;
  const recordingIds: Record<string, FlowValue> = Object.create(null);
  for (const r of request.recordings) recordingIds[r.name] = r.id;
  const last = request.key_presses[request.key_presses.length - 1];
  const dials: Record<string, FlowValue> = Object.create(null);
  for (const d of request.dials ?? []) dials[d.name] = { status: d.status, duration: d.duration, callId: d.call_id, no: d.no };
  const lastDial = request.dials?.[request.dials.length - 1];
  return {
    callTime: Math.max(0, Math.round(callTimeMs)),
    keyPresses: last ? last.digits : '',
    collected,
    recordingIds,
    dials,
    dialStatus: lastDial ? lastDial.status : '',
    dialDuration: lastDial ? lastDial.duration : 0,
    dialCallId: lastDial ? lastDial.call_id : null,
    sessionData: plain(request.session_data ?? {}),
    customData: plain(request.custom_data ?? {}),
    callId: request.call_id,
    appId: request.app_id,
    direction: request.direction,
    status: request.status,
    detection: request.detection,
    startTime: request.start_time,
    duration: request.duration,
    callerNo: request.caller_no,
    callerNoCity: request.caller_no_city,
    callerNoRegion: request.caller_no_region,
    callerNoCountry: request.caller_no_country,
    callerNoTimezone: request.caller_no_timezone,
    apiNo: request.api_no,
    apiNoCity: request.api_no_city,
    apiNoRegion: request.api_no_region,
    apiNoCountry: request.api_no_country,
    apiNoTimezone: request.api_no_timezone,
    sipDomain: request.sip_domain,
  };
}

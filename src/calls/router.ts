import { toE164 } from './e164.js';

/** Why a dialed number is answered with a refusal rather than run. */
export type Refusal = { sipStatus: number; sipReason: string; reason: string };

/** What a dialed number means on this box. */
export type Route =
  | { kind: 'echo' }
  | { kind: 'record-playback' }
  /** A registered phone or browser dialed by its username. */
  | { kind: 'user'; user: string }
  /** A project's DID pointed at an agent: ring the agent's registrations. */
  | { kind: 'agent'; user: string; number: string; projectId: number }
  /** A project's relay DID: dial `forwardTo` through `trunk`, presenting the DID as caller ID, recorded. */
  | { kind: 'relay'; number: string; forwardTo: string; trunk: string; projectId: number }
  | { kind: 'trunk'; trunk: string; number: string }
  /** A project's DID pointed at an application with a callback URL: run its call flow. */
  | { kind: 'application'; number: string; projectId: number; appId: number; callback: AppCallback }
  /** Known, but answered with a refusal (an application without a callback URL, a paused relay...). */
  | ({ kind: 'refused'; number?: string; projectId?: number } & Refusal)
  | { kind: 'unknown' };

/** A DID as routing needs it (the store's `PhoneNumber` has this shape). */
export interface DidEntry {
  /** The number's row id (its own callback configuration is keyed by it). */
  id?: number;
  e164: string;
  trunk: string | null;
  projectId: number | null;
  target:
    | { kind: 'agent'; agentId: number }
    | { kind: 'application'; applicationId: number }
    | { kind: 'forward'; forwardTo: string }
    | null;
  forwardTo: string | null;
  relayEnabled: boolean;
}

/** An application's call-flow callback as the flow engine takes it (`CallbackConfig` in src/flows). */
export interface AppCallback {
  url: string;
  method: 'GET' | 'POST';
  format: 'json' | 'form' | 'query';
  fallbackUrl?: string;
  statusCallbackUrl?: string;
}

/** An application as routing needs it (the store's `Application` has this shape). */
export interface AppEntry {
  id: number;
  projectId: number;
  callbackUrl: string | null;
  callbackMethod: 'GET' | 'POST';
  callbackFormat: 'json' | 'form' | 'query';
  fallbackUrl: string | null;
  statusCallbackUrl: string | null;
}

/** A number's own callback configuration (the store's `NumberCallbackConfig` has this shape). */
export interface OwnCallback {
  /** True: the number's application decides (Voxology's "inherit" toggle). */
  inherit: boolean;
  callbackUrl: string | null;
  callbackMethod: 'GET' | 'POST';
  callbackFormat: 'json' | 'form' | 'query';
  fallbackUrl: string | null;
  statusCallbackUrl: string | null;
}

/**
 * The callback a number's calls use: its own configuration unless it inherits, else its
 * application's. Undefined when that has no callback URL (nothing to ask what to do).
 */
export function effectiveCallback(app: AppEntry | undefined, own: OwnCallback | undefined): AppCallback | undefined {
  const src =
    own && !own.inherit
      ? own
      : app && {
          callbackUrl: app.callbackUrl,
          callbackMethod: app.callbackMethod,
          callbackFormat: app.callbackFormat,
          fallbackUrl: app.fallbackUrl,
          statusCallbackUrl: app.statusCallbackUrl,
        };
  if (!src?.callbackUrl) return undefined;
  return {
    url: src.callbackUrl,
    method: src.callbackMethod,
    format: src.callbackFormat,
    ...(src.fallbackUrl ? { fallbackUrl: src.fallbackUrl } : {}),
    ...(src.statusCallbackUrl ? { statusCallbackUrl: src.statusCallbackUrl } : {}),
  };
}

/** Where routing looks numbers and agents up (the store, in main.ts); async because it is a database. */
export interface RoutingDirectory {
  findNumber(e164: string): Promise<DidEntry | undefined>;
  findAgent(id: number): Promise<{ username: string; projectId: number } | undefined>;
  /** Is this an agent's username (registered or not)? Agents are added at run time. */
  isAgent(username: string): Promise<boolean>;
  /** Absent: application DIDs are refused with 480 (no call-flow engine on this box). */
  findApplication?(id: number): Promise<AppEntry | undefined>;
  /** A number's own callback configuration; absent (or undefined), the application's applies. */
  numberCallback?(numberId: number): Promise<OwnCallback | undefined>;
}

/** What an anonymous web visitor's credential may call: its widget's target, in its widget's project. */
export interface VisitorRoute {
  projectId: number;
  /** The Request-URI user the visitor must dial (the widget's public id). */
  dial: string;
  target: { kind: 'number'; number: string } | { kind: 'application'; applicationId: number };
}

/**
 * Web visitors' credentials (src/widgets). `claim` binds one call to a visitor's credential and
 * answers its route; `spent` when the credential already carried a call; undefined: not a visitor.
 */
export interface VisitorDirectory {
  claim(caller: string): VisitorClaim | Promise<VisitorClaim>;
}
export type VisitorClaim = VisitorRoute | 'spent' | undefined;

export interface RouterOptions {
  directory: RoutingDirectory;
  /** Absent: no web visitors on this box. */
  visitors?: VisitorDirectory;
  /** Trunk that carries calls to numbers nobody here owns, and relay forwards of DIDs without a trunk. */
  defaultTrunk?: string;
}

/** The dialed party of an inbound INVITE: the Request-URI user, and the `To` user (carriers put the DID in either). */
export interface Dialed {
  requestUser: string;
  toUser?: string;
  /** The authenticated caller (a phone's, browser's or web visitor's SIP user); absent for trunk calls. */
  caller?: string;
}

/**
 * Test numbers as on any PBX, then the project DIDs (Request-URI, else `To`, E.164-normalised),
 * then agents by username, then the outbound trunk for anything that looks like a phone number.
 */
export class CallRouter {
  constructor(private readonly opts: RouterOptions) {}

  async route(dialed: Dialed | string): Promise<Route> {
    const d = typeof dialed === 'string' ? { requestUser: dialed } : dialed;
    const user = d.requestUser;
    // A web visitor reaches its widget's target and nothing else: no test numbers, no trunk.
    const visitor = d.caller !== undefined ? await this.opts.visitors?.claim(d.caller) : undefined;
    if (visitor === 'spent')
      return { kind: 'refused', sipStatus: 403, sipReason: 'Forbidden', reason: 'a web visitor credential carries one call' };
    if (visitor) return this.visitorRoute(visitor, user);
    if (user === '*43') return { kind: 'echo' };
    if (user === '*44') return { kind: 'record-playback' };
    let inventoried: DidEntry | undefined;
    for (const candidate of new Set([user, d.toUser ?? ''])) {
      const e164 = toE164(candidate);
      if (!e164) continue;
      const did = await this.opts.directory.findNumber(e164);
      if (did && did.projectId !== null) return this.didRoute(did, did.projectId);
      inventoried ??= did;
    }
    // One of our DIDs that no project owns: nobody to ring, and never sent back out (toll fraud).
    if (inventoried) return { kind: 'unknown' };
    if (user && (await this.opts.directory.isAgent(user))) return { kind: 'user', user };
    if (this.opts.defaultTrunk && /^\+?[0-9]{3,15}$/.test(user)) {
      return { kind: 'trunk', trunk: this.opts.defaultTrunk, number: user };
    }
    return { kind: 'unknown' };
  }

  private async visitorRoute(v: VisitorRoute, dialed: string): Promise<Route> {
    const refused = (sipStatus: number, sipReason: string, reason: string): Route => ({
      kind: 'refused',
      // the record lands in the widget's project, under the widget's id
      number: v.dial,
      projectId: v.projectId,
      sipStatus,
      sipReason,
      reason,
    });
    if (dialed !== v.dial) return refused(403, 'Forbidden', 'a web visitor may call only its widget');
    if (v.target.kind === 'number') {
      const e164 = toE164(v.target.number);
      const did = e164 ? await this.opts.directory.findNumber(e164) : undefined;
      if (!did || did.projectId !== v.projectId) return refused(404, 'Not Found', "widget's number is not its project's");
      const route = await this.didRoute(did, v.projectId);
      // A relay forward would send the visitor out through the trunk: only what answers here is allowed.
      if (route.kind === 'agent' || route.kind === 'application' || route.kind === 'refused') return route;
      return refused(403, 'Forbidden', 'a web visitor may not reach the trunk');
    }
    const app = await this.opts.directory.findApplication?.(v.target.applicationId);
    if (!app || app.projectId !== v.projectId) return refused(404, 'Not Found', "widget's application is not its project's");
    if (!app.callbackUrl) return refused(480, 'Application Not Available', `application ${app.id} has no callback URL`);
    return {
      kind: 'application',
      // No DID: the widget's id stands for the dialed number on the call's record.
      number: v.dial,
      projectId: v.projectId,
      appId: app.id,
      callback: appCallback(app, app.callbackUrl),
    };
  }

  private async didRoute(did: DidEntry, projectId: number): Promise<Route> {
    const number = did.e164;
    const refused = (sipStatus: number, sipReason: string, reason: string): Route => ({
      kind: 'refused',
      number,
      projectId,
      sipStatus,
      sipReason,
      reason,
    });
    // A relay number set up through the relay API may carry `forward_to` without a target kind.
    const target = did.target ?? (did.forwardTo ? { kind: 'forward' as const, forwardTo: did.forwardTo } : null);
    if (!target) return refused(404, 'Not Found', 'number has no target');
    if (target.kind === 'agent') {
      const agent = await this.opts.directory.findAgent(target.agentId);
      // An agent of another project is never rung, whatever the number row says.
      if (!agent || agent.projectId !== projectId) return refused(404, 'Not Found', 'number points at no agent of its project');
      return { kind: 'agent', user: agent.username, number, projectId };
    }
    if (target.kind === 'application') {
      const app = await this.opts.directory.findApplication?.(target.applicationId);
      // Another project's application is never run, whatever the number row says.
      if (this.opts.directory.findApplication && (!app || app.projectId !== projectId))
        return refused(404, 'Not Found', 'number points at no application of its project');
      const own = did.id !== undefined ? await this.opts.directory.numberCallback?.(did.id) : undefined;
      const callback = app ? effectiveCallback(app, own) : undefined;
      // Nothing to ask what to do: say so plainly instead of answering into silence.
      if (!app || !callback)
        return refused(480, 'Application Not Available', `application ${target.applicationId} has no callback URL`);
      return { kind: 'application', number, projectId, appId: app.id, callback };
    }
    if (!did.relayEnabled) return refused(480, 'Relay Paused', 'relay paused');
    const forwardTo = toE164(target.forwardTo);
    if (!forwardTo) return refused(404, 'Not Found', 'relay forward_to is not a phone number');
    // Forwarding to one of our own DIDs would come straight back in through the carrier.
    const own = await this.opts.directory.findNumber(forwardTo);
    if (own && own.projectId !== null) return refused(482, 'Loop Detected', 'relay forwards to a number on this box');
    const trunk = did.trunk ?? this.opts.defaultTrunk;
    if (!trunk) return refused(503, 'Service Unavailable', 'no trunk to forward through');
    return { kind: 'relay', number, forwardTo, trunk, projectId };
  }
}

function appCallback(app: AppEntry, url: string): AppCallback {
  return {
    url,
    method: app.callbackMethod,
    format: app.callbackFormat,
    ...(app.fallbackUrl ? { fallbackUrl: app.fallbackUrl } : {}),
    ...(app.statusCallbackUrl ? { statusCallbackUrl: app.statusCallbackUrl } : {}),
  };
}

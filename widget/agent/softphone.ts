/**
 * The agent softphone page (/agent-widget/embed?token=voywt_…), framed by phone.js or opened
 * full-page from widgetUrl. It trades the session token for SIP credentials, takes the agent's
 * cross-tab lock (one softphone per agent per browser: a second tab says it is in use and takes
 * over when the first closes), registers, and obeys the host page's commands. Host messages are
 * read only from the parent window at the `host` origin phone.js named, and events go only there.
 */
import type { AgentInfo, SoftphoneEventName, SoftphoneEvents, SoftphoneState, ToSoftphone } from './protocol.js';
import { safeTheme } from './protocol.js';
import { SipPhone, type SipCredentials } from './sip-phone.js';
import { SoftphoneView } from './view.js';
import { ChatPanel } from './chat-panel.js';

const q = new URLSearchParams(location.search);
const token = q.get('token') ?? '';
const framed = window.parent !== window;
const hostOrigin = framed ? parseOrigin(q.get('host')) : undefined;
const view = new SoftphoneView(document.getElementById('app')!, safeTheme(Object.fromEntries(q)));
let phone: SipPhone | undefined;
let agent: AgentInfo | undefined;
/** Every event this page emitted, newest last (tests and the full-page view read it). */
const events: { event: string; data: unknown; at: number }[] = [];

function parseOrigin(s: string | null): string | undefined {
  try {
    return s ? new URL(s).origin : undefined;
  } catch {
    return undefined;
  }
}

/** The last state shown, for the refusals of commands that come too early. */
let lastState: SoftphoneState = 'connecting';

function emit<K extends SoftphoneEventName>(event: K, data: SoftphoneEvents[K]): void {
  events.push({ event, data, at: Date.now() });
  if (event === 'state') lastState = (data as SoftphoneEvents['state']).state;
  if (event === 'state') view.render(phone, (data as SoftphoneEvents['state']).state);
  if (event === 'error') view.notice((data as SoftphoneEvents['error']).message);
  if (event === 'call:ended') {
    const { cause, statusCode } = data as SoftphoneEvents['call:ended'];
    view.ended(cause, statusCode, phone?.peer ?? '');
  }
  if (hostOrigin) window.parent.postMessage({ voylo: 1, event, data }, hostOrigin);
}

async function fetchCredentials(): Promise<(SipCredentials & { agent: AgentInfo }) | 'signed-out'> {
  const res = await fetch('/v1/agent-widget/sip-credentials', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401) return 'signed-out';
  if (!res.ok) throw new Error(`the softphone could not sign in (${res.status})`);
  return (await res.json()) as SipCredentials & { agent: AgentInfo };
}

function signOut(): void {
  phone?.setState('signed-out');
  if (!phone) {
    view.render(undefined, 'signed-out');
    emit('state', { state: 'signed-out' });
  }
  emit('error', { message: 'This softphone session has ended (revoked or expired).' });
}

/** This browser's softphone instance for the agent, kept across reloads and sessions. */
function instanceFor(agentId: number): string {
  const key = `voylo-instance-${agentId}`;
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    // storage blocked for framed pages: one instance per page, as without an id
    return crypto.randomUUID();
  }
}

async function connect(creds: SipCredentials): Promise<void> {
  const p = new SipPhone(creds, emit, () => void lost(p), instanceFor(agent!.id));
  phone = p;
  view.bind(p, agent!, (m) => emit('error', { message: m }));
  view.render(p, 'connecting');
  await p.start();
  emit('ready', { agent: agent! });
}

/** The WebSocket closed: a revoked session stays signed out; anything else reconnects. */
async function lost(p: SipPhone): Promise<void> {
  if (phone !== p) return;
  const creds = await fetchCredentials().catch(() => undefined);
  if (creds === 'signed-out') {
    // the agent and the host page learn it first; closing the user agent can take a while
    signOut();
    return p.stop('signed-out');
  }
  await p.stop('connection-lost');
  p.setState('error');
  emit('error', { message: 'Connection to the phone server lost; reconnecting.' });
  // The server may be down for a while: keep asking (a fresh answer also tells a revoked session).
  const retry = async (delayMs: number): Promise<void> => {
    if (phone !== p) return;
    const fresh = await fetchCredentials().catch(() => undefined);
    if (phone !== p) return;
    if (fresh === 'signed-out') return signOut();
    if (!fresh) {
      setTimeout(() => void retry(Math.min(delayMs * 2, 30000)), delayMs);
      return;
    }
    await connect(fresh).catch((e: Error) => {
      emit('error', { message: e.message });
      // a phone that never connected gets no disconnect: start over from it
      const failed = phone;
      if (failed) setTimeout(() => void lost(failed), delayMs);
    });
  };
  setTimeout(() => void retry(2000), 2000);
}

async function boot(): Promise<void> {
  if (hostOrigin) window.parent.postMessage({ voylo: 1, event: 'hello', data: {} }, hostOrigin);
  const creds = await fetchCredentials();
  if (creds === 'signed-out') return signOut();
  agent = creds.agent;
  view.agent(agent);
  // Chat needs no phone line: it works in a tab that lost the softphone to another one, too.
  new ChatPanel(document.getElementById('app')!, token).start();
  const lockName = `voylo-agent-${agent.id}`;
  // Held for the page's life: the promise never settles until the tab goes away.
  const holdForever = () => new Promise<void>(() => undefined);
  const gotIt = await navigator.locks.request(lockName, { ifAvailable: true }, async (lock) => {
    if (!lock) return false;
    void connect(creds).catch((e: Error) => emit('error', { message: e.message }));
    await holdForever();
    return true;
  });
  if (gotIt !== false) return;
  view.render(undefined, 'in-use-elsewhere');
  emit('state', { state: 'in-use-elsewhere' });
  // Waits its turn: when the other tab closes, this one becomes the agent's softphone.
  await navigator.locks.request(lockName, async () => {
    const fresh = await fetchCredentials();
    if (fresh === 'signed-out') return signOut();
    await connect(fresh).catch((e: Error) => emit('error', { message: e.message }));
    await holdForever();
  });
}

function command(m: ToSoftphone): void {
  const p = phone;
  const fail = (e: Error) => emit('error', { message: e.message });
  if (!p) return fail(new Error(`the softphone is not ready (${lastState})`));
  const run: Record<ToSoftphone['cmd'], () => unknown> = {
    dial: () => p.dial((m as { target: string }).target),
    hangup: () => p.hangup(),
    answer: () => p.answer(),
    decline: () => p.decline(),
    toggleMute: () => view.render(p, p.state, p.toggleMute()),
    dtmf: () => p.sendDtmf((m as { digits: string }).digits),
  };
  try {
    Promise.resolve(run[m.cmd]?.()).catch(fail);
  } catch (e) {
    fail(e as Error);
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  if (!hostOrigin || e.origin !== hostOrigin || e.source !== window.parent) return;
  const m = e.data as ToSoftphone;
  if (m && m.voylo === 1 && typeof m.cmd === 'string') command(m);
});
window.addEventListener('pagehide', () => void phone?.stop());

declare global {
  interface Window {
    softphone: { events: typeof events; phone(): SipPhone | undefined };
  }
}
window.softphone = { events, phone: () => phone };

boot().catch((e: Error) => {
  view.render(phone, 'error');
  emit('error', { message: e.message });
});

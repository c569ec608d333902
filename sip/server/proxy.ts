/**
 * Stateful proxying for `proxy|…` frames (docs/drachtio-protocol.md §2.5, §3.1.4, §5.10): forwarding the INVITE with
 * a new Via (and Record-Route when asked), relaying responses upstream, serial fail-over between
 * destinations, `continue`/`done` to the app, CDRs, and stateless forwarding of in-dialog requests
 * (and their responses) in record-routed dialogs.
 */
import { SipRequest, type SipResponse } from './message.js';
import { serializeMessage } from './serializer.js';
import { newProxyBranch, newStatelessBranch } from './ids.js';
import { parseAppMessage } from './drachtio/app-message.js';
import { topVia, uriTarget } from './transaction/keys.js';
import { canonicalize, tagOf, uriOf } from './drachtio/complete.js';
import { proxyContinueFrame, responseFrame, NOK_UNKNOWN_TXN, type AppFrame } from './drachtio/messages.js';
import type { AppConnection } from './drachtio/connection.js';
import type { ClientTxnRecord, InboundInfo, ServerContext, ServerTxnRecord } from './drachtio/context.js';
import type { UacSender } from './drachtio/uac.js';

interface ProxiedDialog {
  callId: string;
  tags: Set<string>;
  expires: NodeJS.Timeout;
}

export class ProxyOperation {
  private index = 0;
  private current?: ClientTxnRecord;
  private finished = false;

  constructor(
    private readonly router: ProxyRouter,
    private readonly app: AppConnection,
    private readonly msgId: string,
    readonly upstream: ServerTxnRecord,
    private readonly dests: string[],
    private readonly recordRoute: boolean,
    private readonly extra: SipRequest,
  ) {}

  async next(): Promise<void> {
    const dest = this.dests[this.index++];
    if (!dest) return;
    this.current = await this.router.forward(this, dest, this.recordRoute, this.extra);
  }

  cancel(): void {
    const rec = this.current;
    if (!rec || rec.txn.state === 'terminated' || rec.txn.finalStatus) return;
    this.dests.length = this.index; // no fail-over after a CANCEL
    void this.router.uac.sendCancel(rec).catch(() => undefined);
  }

  onResponse(rec: ClientTxnRecord, res: SipResponse): void {
    if (res.status === 100 || this.finished) return;
    const ctx = this.router.ctx;
    const up = res.clone();
    up.removeFirstValue('via');
    if (res.status < 200) {
      this.upstream.txn.relay(up).catch(() => undefined);
      return;
    }
    const canFailOver = res.status >= 300 && res.status < 600 && res.status !== 487 && this.index < this.dests.length;
    const i = rec.lastInfo;
    const raw = serializeMessage(res);
    const continueFrame = proxyContinueFrame(
      this.msgId,
      {
        len: i?.bytes ?? raw.length,
        protocol: i?.remote.transport ?? '',
        address: i?.remote.host ?? '',
        port: i?.remote.port ?? 0,
      },
      raw,
    );
    if (canFailOver) {
      this.app.send(continueFrame);
      void this.next().catch(() => undefined);
      return;
    }
    this.finished = true;
    const done = responseFrame(this.msgId, 'OK', 'done');
    if (res.status < 300) {
      // order observed on the real server: cdr:start(uac), continue, done, then the 200 upstream and cdr:start(uas)
      ctx.apps.cdr('cdr:start', 'network', raw, 'proxy-uac');
      this.app.send(continueFrame);
      this.app.send(done);
      if (this.recordRoute) this.router.rememberDialog(res.callId, tagOf(res.get('from')), tagOf(res.get('to')));
      this.upstream.txn
        .relay(up)
        .then((sent) => ctx.apps.cdr('cdr:start', 'application', sent.bytes, 'proxy-uas'))
        .catch(() => undefined);
      return;
    }
    // non-2xx: relayed upstream first, then cdr:stop(network), continue, cdr:stop(application), done
    this.upstream.txn
      .relay(up)
      .then((sent) => {
        ctx.apps.cdr('cdr:stop', 'network', raw, 'call-rejected');
        this.app.send(continueFrame);
        ctx.apps.cdr('cdr:stop', 'application', sent.bytes, 'call-rejected');
        this.app.send(done);
      })
      .catch(() => {
        this.app.send(continueFrame);
        this.app.send(done);
      });
  }
}

export class ProxyRouter {
  private readonly proxied = new Map<string, ProxiedDialog>();

  constructor(
    readonly ctx: ServerContext,
    readonly uac: UacSender,
  ) {}

  async start(app: AppConnection, f: AppFrame): Promise<void> {
    const [txnId = '', remain = '', , , , , , ...dests] = f.fields;
    const rec = this.ctx.serverById.get(txnId);
    if (!rec || rec.txn.state !== 'proceeding' || rec.proxy) {
      app.send(responseFrame(f.msgId, 'NOK', NOK_UNKNOWN_TXN));
      return;
    }
    const extra = parseAppMessage(f.sip ?? '');
    const targets = dests.filter((d) => d.length > 0);
    if (targets.length === 0 && extra instanceof SipRequest) targets.push(extra.uri);
    const op = new ProxyOperation(
      this,
      app,
      f.msgId,
      rec,
      targets,
      remain === 'remainInDialog',
      extra instanceof SipRequest ? extra : new SipRequest(rec.txn.request.method, rec.txn.request.uri),
    );
    rec.proxy = op;
    await op.next();
  }

  async forward(op: ProxyOperation, dest: string, recordRoute: boolean, extra: SipRequest): Promise<ClientTxnRecord> {
    const ctx = this.ctx;
    const req = op.upstream.txn.request.clone();
    req.uri = dest;
    const target = await ctx.resolve(dest);
    const t = target.transport;
    req.prepend('Via', `SIP/2.0/${t.toUpperCase()} ${ctx.viaSentBy(t)};rport;branch=${newProxyBranch()}`);
    if (recordRoute) req.prepend('Record-Route', `<sip:${ctx.hostport(op.upstream.info.local.transport)};lr>`);
    const mf = Number(req.get('max-forwards') ?? '70');
    req.set('Max-Forwards', String(Math.max(0, (Number.isFinite(mf) ? mf : 70) - 1)));
    for (const h of extra.headers) {
      if (['content-length', 'l'].includes(h.name.toLowerCase())) continue;
      req.set(h.name, h.value);
    }
    canonicalize(req);
    const { txnId } = await this.uac.run(req, target, { dialogId: '', initialInvite: false, proxy: op });
    const rec = ctx.clientById.get(txnId)!;
    if (req.method === 'INVITE') ctx.apps.cdr('cdr:attempt', 'application', serializeMessage(req));
    return rec;
  }

  rememberDialog(callId: string, fromTag?: string, toTag?: string): void {
    const old = this.proxied.get(callId);
    if (old) clearTimeout(old.expires);
    // a proxied dialog is forgotten after its BYE, or after 12 hours of silence
    const expires = setTimeout(() => this.proxied.delete(callId), 12 * 3600 * 1000);
    expires.unref();
    this.proxied.set(callId, { callId, tags: new Set([fromTag ?? '', toTag ?? '']), expires });
  }

  /** Initial requests with a Route naming us are not loose-routed further by this server. */
  handleLooseRouted(_req: SipRequest, _info: InboundInfo): boolean {
    return false;
  }

  /** In-dialog request in a record-routed proxied dialog: strip our Route and forward statelessly. */
  forwardInDialog(req: SipRequest, info: InboundInfo): boolean {
    const d = this.proxied.get(req.callId);
    if (!d || !d.tags.has(tagOf(req.get('from')) ?? '') || !d.tags.has(tagOf(req.get('to')) ?? '')) return false;
    const fwd = req.clone();
    const routes = fwd.getAll('route');
    if (routes[0] && this.isUs(uriOf(routes[0]))) fwd.removeFirstValue('route');
    // the real server leaves Max-Forwards alone on these stateless in-dialog forwards (j #35)
    const nextHop = fwd.getAll('route')[0] ? uriOf(fwd.getAll('route')[0]!) : fwd.uri;
    const raw = serializeMessage(fwd);
    if (req.method.toUpperCase() === 'BYE') {
      this.ctx.apps.cdr('cdr:stop', 'network', raw, 'normal-release');
    }
    void this.ctx
      .resolve(nextHop)
      .then(async (target) => {
        const t = target.transport;
        fwd.prepend('Via', `SIP/2.0/${t.toUpperCase()} ${this.ctx.viaSentBy(t)};rport;branch=${newStatelessBranch()}`);
        const sent = await this.ctx.transport.send(fwd, target);
        if (req.method.toUpperCase() === 'BYE') {
          this.ctx.apps.cdr('cdr:stop', 'application', sent.bytes, 'normal-release');
          const p = this.proxied.get(req.callId);
          if (p) {
            clearTimeout(p.expires);
            this.proxied.delete(req.callId);
          }
        }
      })
      .catch((err: Error) => this.ctx.logger.info({ err: err.message }, 'stateless forward failed'));
    void info;
    return true;
  }

  /** A response whose top Via is a stateless branch of ours: pop it and send it to the next Via. */
  forwardResponse(res: SipResponse): boolean {
    const via = topVia(res);
    const branch = via?.params['branch'];
    if (!branch?.startsWith('z9hG4bK.')) return false;
    const up = res.clone();
    up.removeFirstValue('via');
    const next = topVia(up);
    if (!next) return true;
    const rport = next.params['rport'];
    const host = next.params['received'] ?? next.host;
    const port = rport ? Number(rport) : (next.port ?? 5060);
    const transport = next.transport.toLowerCase() as 'udp';
    this.ctx.transport.send(up, { transport, host, port }).catch(() => undefined);
    return true;
  }

  private isUs(uri: string): boolean {
    const t = uriTarget(uri);
    if (!t) return false;
    const hosts = new Set(this.ctx.transport.listening().map((a) => `${a.host}:${a.port}`));
    if (this.ctx.externalAddress)
      for (const a of this.ctx.transport.listening()) hosts.add(`${this.ctx.externalAddress}:${a.port}`);
    return hosts.has(`${t.host}:${t.port ?? 5060}`);
  }

  close(): void {
    for (const d of this.proxied.values()) clearTimeout(d.expires);
    this.proxied.clear();
  }
}

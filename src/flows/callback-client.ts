/**
 * Sends one callback request and reads the actions of the answer. Any failure (refused host,
 * network, timeout, non-2xx, a body that is not JSON or not `{"actions": [...]}`) is a
 * CallbackFailure with the reason, so the runner can try the fallback URL.
 */
import type { Logger } from 'pino';
import type { FlowAction } from './actions/schema.js';
import { parseCallbackResponse } from './actions/parse.js';
import { type CallbackRequest, encodeCallbackRequest } from './callback-request.js';
import { type FlowHttpResponse, flowHttp } from './flow-http.js';

export type CallbackFormat = 'json' | 'form' | 'query';

/** An application's callback configuration. */
export interface CallbackConfig {
  url: string;
  /** GET sends the fields in the query string whatever `format` says (a static JSON file on a CDN). */
  method: 'GET' | 'POST';
  format: CallbackFormat;
  fallbackUrl?: string;
  /** Where the final callback (call ended) goes; `url` when unset. */
  statusCallbackUrl?: string;
}

export interface CallbackTarget {
  url: string;
  method: 'GET' | 'POST';
}

export class CallbackFailure extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
    this.name = 'CallbackFailure';
  }
}

export interface CallbackAnswer {
  actions: FlowAction[];
  /** The raw body, to tell a static script answering the same thing again. */
  body: string;
}

export interface CallbackClientOptions {
  timeoutMs: number;
  maxBytes: number;
  allowPrivate: boolean;
}

export class CallbackClient {
  constructor(
    private readonly opts: CallbackClientOptions,
    private readonly logger: Logger,
  ) {}

  /** Encodes the request for the target: GET puts the fields in the URL, POST in the body in `format`. */
  static encode(target: CallbackTarget, format: CallbackFormat, request: CallbackRequest) {
    const encoded = encodeCallbackRequest(target.url, target.method === 'GET' ? 'query' : format, request);
    return { ...encoded, method: target.method };
  }

  async fetchActions(
    target: CallbackTarget,
    format: CallbackFormat,
    request: CallbackRequest,
    signal?: AbortSignal,
  ): Promise<CallbackAnswer> {
    const encoded = CallbackClient.encode(target, format, request);
    let res: FlowHttpResponse;
    try {
      res = await flowHttp(encoded, {
        timeoutMs: this.opts.timeoutMs,
        maxBytes: this.opts.maxBytes,
        allowPrivate: this.opts.allowPrivate,
        signal,
      });
    } catch (err) {
      throw new CallbackFailure(target.url, (err as Error).message);
    }
    if (res.status < 200 || res.status > 299) throw new CallbackFailure(target.url, `HTTP ${res.status}`);
    const body = res.body.toString('utf8');
    let json: unknown;
    if (body.trim() === '') json = undefined;
    else {
      try {
        json = JSON.parse(body);
      } catch {
        throw new CallbackFailure(target.url, 'answer is not JSON');
      }
    }
    const parsed = parseCallbackResponse(json, this.logger);
    if (parsed.errors.some((e) => e.path === '')) throw new CallbackFailure(target.url, 'answer is not {"actions": [...]}');
    return { actions: parsed.actions, body };
  }

  /** The final callback: the answer's body is not read as actions. */
  async notify(target: CallbackTarget, format: CallbackFormat, request: CallbackRequest, timeoutMs: number): Promise<number> {
    const encoded = CallbackClient.encode(target, format, request);
    const res = await flowHttp(encoded, { timeoutMs, maxBytes: this.opts.maxBytes, allowPrivate: this.opts.allowPrivate });
    return res.status;
  }
}

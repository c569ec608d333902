/** What every route module receives; extend it (and `HttpDeps`) when a module needs another service. */
import type { Logger } from 'pino';
import type { Store } from '../src/store/index.js';
import type { AccountService } from '../src/accounts/account-service.js';
import type { ApiRouter } from './route.js';
import type { RateLimiter } from './rate-limit.js';

export interface ApiContext {
  store: Store;
  accounts: AccountService;
  logger: Logger;
  /** Shared by sign-up and confirmation: attempts per source address per minute. */
  authLimiter: RateLimiter;
}

/** A resource's routes: `(api, ctx) => { api.route({...}); ... }`. */
export type RouteModule = (api: ApiRouter, ctx: ApiContext) => void;

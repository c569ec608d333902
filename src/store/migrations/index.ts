import type { Migration } from '../migrator.js';
import { initial } from './001_initial.js';
import { webhooks } from './002_webhooks.js';
import { applicationCallbacks } from './003_application_callbacks.js';

/** Every migration, in order. Append only: a released migration never changes. */
export const migrations: readonly Migration[] = [initial, webhooks, applicationCallbacks];

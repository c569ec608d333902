import type { Migration } from '../migrator.js';
import { initial } from './001_initial.js';
import { webhooks } from './002_webhooks.js';
import { callListIndexes } from './003_call_list_indexes.js';
import { applicationCallbacks } from './004_application_callbacks.js';
import { numberCallbacks } from './005_number_callbacks.js';
import { agentWidgetSessions } from './006_agent_widget_sessions.js';
import { widgets } from './008_widgets.js';
import { widgetChat } from './009_widget_chat.js';
import { callbackFailures } from './010_callback_failures.js';
import { principalGeneration } from './011_principal_generation.js';

/** Every migration, in order. Append only: a released migration never changes. */
export const migrations: readonly Migration[] = [
  initial,
  webhooks,
  callListIndexes,
  applicationCallbacks,
  numberCallbacks,
  agentWidgetSessions,
  widgets,
  widgetChat,
  callbackFailures,
  principalGeneration,
];

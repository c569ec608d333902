/** Builds the runner of one action. */
import type { FlowAction } from './schema.js';
import type { FlowContext, FlowActionRunner } from '../flow-context.js';
import { Say } from './say.js';
import { Play } from './play.js';
import { Pause } from './pause.js';
import { Collect } from './collect.js';
import { If } from './if.js';
import { Goto } from './goto.js';
import { Label } from './label.js';
import { SessionData } from './session-data.js';
import { Hangup } from './hangup.js';
import { Redirect } from './redirect.js';
import { Dial } from './dial.js';
import { Conference } from './conference.js';
import { Record } from './record.js';
import { Info } from './info.js';

export function createActionRunner(ctx: FlowContext, action: FlowAction): FlowActionRunner {
  switch (action.type) {
    case 'SAY':
      return new Say(ctx, action);
    case 'PLAY':
      return new Play(ctx, action);
    case 'PAUSE':
      return new Pause(ctx, action);
    case 'COLLECT':
      return new Collect(ctx, action);
    case 'IF':
      return new If(ctx, action);
    case 'GOTO':
      return new Goto(action);
    case 'LABEL':
      return new Label();
    case 'SESSIONDATA':
      return new SessionData(ctx, action);
    case 'HANGUP':
      return new Hangup();
    case 'REDIRECT':
      return new Redirect(action);
    case 'RECORD':
      return new Record(ctx, action);
    case 'DIAL':
      return new Dial(ctx, action);
    case 'CONFERENCE':
      return new Conference(ctx, action);
    case 'INFO':
      return new Info(ctx, action);
  }
}

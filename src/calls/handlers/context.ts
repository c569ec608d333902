import type { InboundCall } from '../../../sip/sip-app.js';
import type { Endpoint } from '../../../media/index.js';
import type { Call } from '../call.js';
import type { Leg } from '../leg.js';

/** What a call handler gets: the call, the ringing inbound dialog and its endpoint. */
export interface CallContext {
  call: Call;
  inbound: InboundCall;
  /** The caller's endpoint, which has already produced `answerSdp` for the caller's offer. */
  callerEndpoint: Endpoint;
  answerSdp: string;
  recordingsDir: string;
  /** Sends 200 with the answer and adds the caller leg; undefined when the caller left meanwhile. */
  answerCaller(): Promise<Leg | undefined>;
}

/**
 * An answered call whose caller leg is a real media-server RTP endpoint talking PCMU to an RTP
 * peer process, and the flow engine pieces to run a script on it: for the flow tests that check
 * what the caller hears and what gets recorded.
 */
import { EventEmitter } from 'node:events';
import { Call } from '../../src/calls/call.js';
import { Leg } from '../../src/calls/leg.js';
import type { SipDialog, SipDialogEvents } from '../../src/calls/ports.js';
import { CallFlowPort } from '../../src/flows/call-port.js';
import { type FlowEngine, initialRequest } from '../../src/flows/flow-engine.js';
import type { CodecSpec } from '../../media/types.js';
import { peerOffer } from '../media/engine/peer-sdp.js';
import { local, sdpPort, startMediaServer } from '../media/engine/server-fixture.js';
import type { RtpPeer } from '../helpers/rtp-peer.js';
import { silentLogger } from './flow-fakes.js';

export const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
type Teardown = { teardown(fn: () => unknown): void };

class FakeDialog extends EventEmitter<SipDialogEvents> implements SipDialog {
  readonly callId = 'flow-media-test';
  readonly remoteSdp = '';
  readonly localSdp = '';
  byes = 0;
  async hangup(): Promise<void> {
    this.byes++;
    this.emit('ended', { by: 'local', reason: 'hangup' });
  }
}

export async function answeredCall(t: Teardown, peer: RtpPeer) {
  const ms = await startMediaServer(t);
  const session = await ms.createSession();
  const call = new Call({ direction: 'inbound', from: '+19495551212', to: '+17145551212', logger: silentLogger }, session);
  t.teardown(() => call.hangup());
  const ep = await session.createEndpoint('rtp');
  const answer = await ep.answer(peerOffer(peer.port, 'PCMU'));
  const dialog = new FakeDialog();
  const leg = new Leg('caller', dialog, ep, silentLogger);
  call.addLeg(leg);
  call.markAnswered();
  return { call, leg, dialog, towardsUs: local(sdpPort(answer)) };
}

/** Runs the flow at `url` (POST, JSON) on the call's caller leg; resolves when the flow ends. */
export function runFlow(engine: FlowEngine, call: Call, url: string, recordingsDir: string): Promise<void> {
  const port = new CallFlowPort(call, call.legs[0]!, recordingsDir);
  return engine
    .runner(
      port,
      { url, method: 'POST', format: 'json' },
      initialRequest(call, { appId: 'app', callback: { url, method: 'POST', format: 'json' } }),
    )
    .run();
}

/**
 * Inbound SMS (a carrier's SIP MESSAGE) to a relay-enabled number becomes `sms.received`: written
 * to the outbox first, answered 200 only once it is durable. Numbers nobody owns (or whose relay
 * is off) are 404, anything but text/plain 415.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/index.js';

/** What the SIP layer hands over (sip/inbound-message.ts satisfies it). */
export interface TextMessage {
  from: string;
  to: string;
  contentType: string;
  charset?: string;
  body: string;
  respond(status: number, reason?: string): void;
}

/** Carriers write numbers with or without the plus. */
const e164 = (user: string): string => (/^[1-9][0-9]{3,14}$/.test(user) ? `+${user}` : user);

export class SmsReceiver {
  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  async handle(msg: TextMessage): Promise<void> {
    try {
      if (msg.contentType !== 'text/plain' || (msg.charset && !['utf-8', 'us-ascii'].includes(msg.charset))) {
        msg.respond(415, 'Unsupported Media Type');
        return;
      }
      const to = e164(msg.to);
      const number = await this.store.numbers.findByE164(to);
      if (!number || number.projectId === null || !number.relayEnabled) {
        msg.respond(404, 'Not Found');
        return;
      }
      await this.store.outbox.publish({
        projectId: number.projectId,
        type: 'sms.received',
        data: { direction: 'inbound', from: e164(msg.from), to, relay_number: number.e164, body: msg.body },
      });
      msg.respond(200, 'OK');
    } catch (err) {
      this.logger.error({ err }, 'inbound SMS failed');
      msg.respond(500, 'Server Internal Error');
    }
  }
}

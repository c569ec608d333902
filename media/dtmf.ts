/** DTMF: RFC 4733 telephone events, in-band tone detection and the keypad tables. */
export { digitToEvent, eventToDigit, dtmfFrequencies, DTMF_ROW_HZ, DTMF_COLUMN_HZ } from './dtmf-keypad.js';
export {
  encodeTelephoneEvent,
  decodeTelephoneEvent,
  rfc4733Packets,
  Rfc4733Receiver,
  type TelephoneEvent,
} from './dtmf-rfc4733.js';
export { InbandDtmfDetector } from './dtmf-inband.js';

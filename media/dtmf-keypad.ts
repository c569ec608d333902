/** The DTMF keypad: digits, RFC 4733 event codes and the row/column tone pairs (ITU-T Q.23). */

export const DTMF_ROW_HZ = [697, 770, 852, 941] as const;
export const DTMF_COLUMN_HZ = [1209, 1336, 1477, 1633] as const;

const KEYPAD = ['123A', '456B', '789C', '*0#D'];
const EVENT_DIGITS = '0123456789*#ABCD';

/** RFC 4733 event code of a digit (0-9, *, #, A-D; case-insensitive), or -1 if it is not one. */
export function digitToEvent(d: string): number {
  if (d.length !== 1) return -1;
  return EVENT_DIGITS.indexOf(d.toUpperCase());
}

/** Digit of an RFC 4733 DTMF event code (0-15); other events (flash, ...) have none. */
export function eventToDigit(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n < 16 ? EVENT_DIGITS[n] : undefined;
}

/** The low (row) and high (column) frequency of a digit, or undefined if it is not one. */
export function dtmfFrequencies(digit: string): [number, number] | undefined {
  const d = digit.toUpperCase();
  for (let r = 0; r < 4; r++) {
    const c = KEYPAD[r].indexOf(d);
    if (c >= 0 && d.length === 1) return [DTMF_ROW_HZ[r], DTMF_COLUMN_HZ[c]];
  }
  return undefined;
}

/** Digit at a keypad row and column. */
export function keypadDigit(row: number, column: number): string {
  return KEYPAD[row][column];
}

/**
 * Dialed strings to E.164, for looking up DIDs. What a carrier puts in the Request-URI or `To`
 * varies: `+14155550123`, `tel:+1-415-555-0123`, `0014155550123`, or the digits without the plus.
 *
 * Accepted: an optional `tel:` prefix; visual separators (space, `-`, `.`, `(`, `)`) removed; a
 * leading `+`, or a leading `00` read as `+`; otherwise a bare digit string is read as an E.164
 * number without its plus (country code first), which is how most carriers send DIDs.
 * Not accepted (no country context on a trunk to resolve them): national formats with a trunk
 * prefix (`0` + area code, `1` + NANP digits are fine only because `1` is the country code).
 * Anything else, or a result outside E.164's 4..15 digits after the country code's first digit
 * 1-9, yields undefined.
 */
export function toE164(dialed: string): string | undefined {
  let s = dialed.trim();
  if (/^tel:/i.test(s)) s = s.slice(4);
  // A tel: URI or a SIP user may carry parameters (`;phone-context=...`); the number comes first.
  s = s.split(';')[0]!;
  s = s.replace(/[\s\-.()]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  else if (!s.startsWith('+')) s = `+${s}`;
  return /^\+[1-9][0-9]{3,14}$/.test(s) ? s : undefined;
}

/**
 * Whether an Opus packet's SILK layer carries in-band FEC (an LBRR frame), read the way a decoder
 * does: the first two symbols of the range coder after the TOC byte are the first frame's VAD flag
 * and the packet's LBRR flag (RFC 6716 §4.1 and §4.2.3, mono, one 20 ms SILK frame). Packets of a
 * CELT-only configuration (TOC config 16 and up) have no SILK layer: undefined.
 */
export function silkFlags(packet: Buffer): { vad: boolean; lbrr: boolean } | undefined {
  if (packet.length < 2 || packet[0] >> 3 >= 16) return undefined;
  let pos = 1;
  const next = (): number => (pos < packet.length ? packet[pos++]! : 0);
  let rng = 128;
  let rem = next();
  let val = 127 - (rem >> 1);
  const normalize = (): void => {
    while (rng <= 1 << 23) {
      rng = rng * 256;
      const sym = ((rem << 8) | (rem = next())) >> 1;
      val = (val * 256 + (255 & ~sym)) % 2 ** 31;
    }
  };
  const bit = (): boolean => {
    const s = Math.floor(rng / 2);
    const one = val < s;
    if (!one) val -= s;
    rng = one ? s : rng - s;
    normalize();
    return one;
  };
  normalize();
  const vad = bit();
  return { vad, lbrr: bit() };
}

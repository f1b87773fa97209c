// Byte tests four bytes at a time, for the validator's hot loops: a little-endian 32-bit read
// replaces four loads and compares.

/** A name to compare against: its bytes, and as many of them as fit as 32-bit words. */
export interface Name {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  /** Its last four bytes as a word (0 when it is shorter). */
  readonly last: number;
}

/** The bytes of ASCII text. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export function name(text: string): Name {
  const bytes = ascii(text);
  const words = new Int32Array(bytes.length >>> 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < words.length; k++) words[k] = view.getInt32(k * 4, true);
  const last = bytes.length < 4 ? 0 : view.getInt32(bytes.length - 4, true);
  return { bytes, words, last };
}

/** A DataView over exactly the bytes of `b`. */
export function view(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * b[p...] starts with `expected`: four bytes per step, then the rest within its last four bytes
 * (overlapping the words before), or one by one when it is shorter than a word.
 */
export function sameBytes(b: Buffer, dv: DataView, p: number, expected: Name): boolean {
  const words = expected.words;
  const n = words.length;
  for (let k = 0; k < n; k++) if (dv.getInt32(p + k * 4, true) !== words[k]) return false;
  const bytes = expected.bytes;
  if (n > 0) return dv.getInt32(p + bytes.length - 4, true) === expected.last;
  for (let j = 0; j < bytes.length; j++) if (b[p + j] !== bytes[j]) return false;
  return true;
}

/** Four ASCII digits: high nibble 3 in each byte, and adding 6 carries out of no low nibble. */
export function fourDigits(x: number): boolean {
  return (x & 0xf0f0f0f0) === 0x30303030 && ((x + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

/**
 * None of four bytes ends or breaks a tag value: none below 0x21, none from 0x7f, and no `,`
 * `=` `\` (a byte below 0x21 or equal to one of these sets the high bit of its lane).
 */
export function fourOrdinaryTagBytes(x: number): boolean {
  const comma = x ^ 0x2c2c2c2c;
  const eq = x ^ 0x3d3d3d3d;
  const bs = x ^ 0x5c5c5c5c;
  const special =
    ((x - 0x21212121) & ~x) |
    ((x + 0x01010101) & ~x) |
    x |
    ((comma - 0x01010101) & ~comma) |
    ((eq - 0x01010101) & ~eq) |
    ((bs - 0x01010101) & ~bs);
  return (special & 0x80808080) === 0;
}

// The range tests below add a constant to every lane so that its high bit says "at least this
// byte"; with every byte below 0x80 (tested first) no lane carries into the next.

/** Four of `0`–`9`, `a`–`f`: the bytes of an id. */
export function fourLowerHex(x: number): boolean {
  const digit = (x + 0x50505050) & ~(x + 0x46464646);
  const letter = (x + 0x1f1f1f1f) & ~(x + 0x19191919);
  return (x & 0x80808080) === 0 && (~(digit | letter) & 0x80808080) === 0;
}

/** Four of `a`–`z`, `0`–`9`, `_`: the bytes of a name. */
export function fourNameBytes(x: number): boolean {
  const digit = (x + 0x50505050) & ~(x + 0x46464646);
  const letter = (x + 0x1f1f1f1f) & ~(x + 0x05050505);
  const underscore = (x + 0x21212121) & ~(x + 0x20202020);
  return (x & 0x80808080) === 0 && (~(digit | letter | underscore) & 0x80808080) === 0;
}

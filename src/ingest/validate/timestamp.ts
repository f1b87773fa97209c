// The optional last part of a line: an integer in InfluxDB's nanosecond range.
import * as chars from '../../protocol/line-protocol/chars.js';
import type { FAILED, LineScan } from './line-scan.js';
import { quote } from './problems.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const { DIGIT_0, DIGIT_9, MINUS } = chars;
const { ascii, fourDigits } = words;

/** InfluxDB's nanosecond time range is ±(2^63 - 2). */
const MAX_TIMESTAMP = ascii('9223372036854775806');

/** Checks the timestamp after the space at b[space] up to the line's end: 0, or {@link FAILED}. */
export function checkTimestamp(s: LineScan, space: number): number {
  const { b, dv, end } = s;
  let p = space + 1;
  if (p < end && b[p] === MINUS) p++;
  const digits = p;
  while (p + 4 <= end && fourDigits(dv.getInt32(p, true))) p += 4;
  // The last one to three digits as the line's last four bytes, overlapping digits read above.
  if (p < end && end - p < 4 && p - digits >= 4 && fourDigits(dv.getInt32(end - 4, true))) p = end;
  while (p < end && b[p]! >= DIGIT_0 && b[p]! <= DIGIT_9) p++;
  if (p === digits || p !== end) return badTimestamp(s, space, '');
  // Fewer digits than the bound, or as many with a first digit below its 9: in range.
  const n = end - digits;
  if (n < MAX_TIMESTAMP.length || (n === MAX_TIMESTAMP.length && b[digits]! < DIGIT_9)) return 0;
  return inRange(b, digits, end) ? 0 : badTimestamp(s, space, OUT_OF_RANGE);
}

const OUT_OF_RANGE = ` is outside ±${Buffer.from(MAX_TIMESTAMP).toString()} ns`;

function badTimestamp(s: LineScan, space: number, why: string): typeof FAILED {
  return s.fail('invalid timestamp', `invalid timestamp: ${quote(s.b, space + 1, s.end)}${why}`);
}

/** The digits b[from, end) (leading zeros allowed) are at most MAX_TIMESTAMP. */
function inRange(b: Buffer, from: number, end: number): boolean {
  let digits = from;
  while (digits < end - 1 && b[digits] === DIGIT_0) digits++;
  const n = end - digits;
  if (n !== MAX_TIMESTAMP.length) return n < MAX_TIMESTAMP.length;
  for (let k = 0; k < n; k++) {
    const d = b[digits + k]! - MAX_TIMESTAMP[k]!;
    if (d !== 0) return d < 0;
  }
  return true;
}

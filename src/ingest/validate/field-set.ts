// The field set: `key=<float>` pairs separated by commas. Keys must be the measurement's, each at
// most once; values are plain decimal floats within the schema's bounds.
import * as chars from '../../protocol/line-protocol/chars.js';
import { checkFieldValue, MAX_DURATION_SECONDS } from '../../protocol/schema.js';
import * as compiled from './compiled-schema.js';
import { FAILED, type LineScan } from './line-scan.js';
import { badKey, quote } from './problems.js';
import * as timestamp from './timestamp.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const { COMMA, DIGIT_0, DIGIT_9, DOT, LOWER_E, MINUS, PLUS, SPACE, UPPER_E } = chars;
const { findKey } = compiled;
const { checkTimestamp } = timestamp;
const { fourDigits } = words;

/** Values with at most this many integer digits, no sign and no positive exponent are under the cap. */
const FAST_INT_DIGITS = String(Math.trunc(MAX_DURATION_SECONDS)).length - 1;

/**
 * Checks the fields from b[from], just after the space, and the timestamp after them if there is
 * one: the position after the last value (the line's end, or the space before the timestamp),
 * or {@link FAILED}. The timestamp is checked from here so that the engine compiles it into this
 * function rather than calling it per line.
 *
 * A value is -?digits(.digits)?([eE][+-]?digits)?, what %g and JavaScript print; no `i`, `u`,
 * bool or string. Only values that could be negative or over the cap are converted to a number
 * and checked. The value scan is written out here rather than called per field, so the engine
 * compiles the whole field set as one loop.
 */
export function scanFieldSet(s: LineScan, from: number): number {
  const { b, dv, end } = s;
  const fieldBytes = s.measurement.fieldBytes;
  let p = from;
  let seen = 0;
  let expected = 0;
  while (true) {
    const f = findKey(b, dv, p, end, fieldBytes, expected);
    if (f < 0) return badKey(s, p, 'field');
    if ((seen & (1 << f)) !== 0) return duplicateField(s, f);
    seen |= 1 << f;
    expected = f + 1;
    const v = p + fieldBytes[f]!.bytes.length;
    p = v;
    let c = p < end ? b[p]! : -1;
    const negative = c === MINUS;
    if (negative) c = ++p < end ? b[p]! : -1;
    const intStart = p;
    while (c >= DIGIT_0 && c <= DIGIT_9) c = ++p < end ? b[p]! : -1;
    const intDigits = p - intStart;
    let ok = intDigits > 0;
    if (ok && c === DOT) {
      const fracStart = ++p;
      while (p + 4 <= end && fourDigits(dv.getInt32(p, true))) p += 4;
      c = p < end ? b[p]! : -1;
      while (c >= DIGIT_0 && c <= DIGIT_9) c = ++p < end ? b[p]! : -1;
      ok = p > fracStart;
    }
    let growingExponent = false;
    if (ok && (c === LOWER_E || c === UPPER_E)) {
      c = ++p < end ? b[p]! : -1;
      growingExponent = c !== MINUS;
      if (c === PLUS || c === MINUS) c = ++p < end ? b[p]! : -1;
      const expStart = p;
      while (c >= DIGIT_0 && c <= DIGIT_9) c = ++p < end ? b[p]! : -1;
      ok = p > expStart;
    }
    if (!ok || (c !== -1 && c !== COMMA && c !== SPACE)) return badFieldValue(s, f, v);
    if ((negative || growingExponent || intDigits > FAST_INT_DIGITS) && !inBounds(s, f, v, p)) {
      return FAILED;
    }
    if (c === SPACE) return checkTimestamp(s, p) < 0 ? FAILED : p;
    if (c !== COMMA) return p;
    p++;
  }
}

function duplicateField(s: LineScan, f: number): typeof FAILED {
  return s.fail('duplicate field', `duplicate field: ${s.measurement.fields[f]}`);
}

function badFieldValue(s: LineScan, f: number, v: number): typeof FAILED {
  const { b, end } = s;
  const text = quote(b, v, fieldEnd(b, v, end));
  return s.fail('invalid field value', `invalid field value: ${s.measurement.fields[f]}=${text}`);
}

/** The value b[v, p) as a number is within the schema's bounds; false (and why in `s`) if not. */
function inBounds(s: LineScan, f: number, v: number, p: number): boolean {
  const violation = checkFieldValue(s.measurement.fields[f]!, Number(s.b.toString('latin1', v, p)));
  if (violation === undefined) return true;
  s.violation(violation);
  return false;
}

/** Where the text of a bad value ends, to quote it. */
function fieldEnd(b: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && b[i] !== COMMA && b[i] !== SPACE) i++;
  return i;
}

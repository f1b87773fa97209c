// One line, part by part: measurement, tag set, field set, timestamp. A valid line is passed on
// byte for byte unless it has to change (surrounding whitespace, empty tags, a missing time).
import * as chars from '../../protocol/line-protocol/chars.js';
import * as fieldSet from './field-set.js';
import type { LineScan } from './line-scan.js';
import * as measurement from './measurement.js';
import * as repeated from './repeated-tags.js';
import * as tagSet from './tag-set.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const { HASH, isBlank, SPACE } = chars;
const { scanFieldSet } = fieldSet;
const { scanMeasurement } = measurement;
const { repeatedTags } = repeated;
const { scanTagSet } = tagSet;

/** Pass the line on as it is. */
export const KEEP = 0;
/** Pass on `s.rewritten` instead. */
export const CHANGED = 1;
/** Empty or a comment: leave it out. */
export const SKIP = 2;
/** Invalid: `s.reason` and `s.detail` say why. */
export const FAIL = 3;
export type LineOutcome = typeof KEEP | typeof CHANGED | typeof SKIP | typeof FAIL;

const NEWLINE = Buffer.from('\n');

/**
 * Checks the line b[a, z) (without its newline). `stamp` (` <ns>`) is appended to a line without
 * a timestamp, when given. The tags it repeats of the last line in `b` are not checked again.
 */
export function checkLine(
  s: LineScan,
  b: Buffer,
  dv: DataView,
  a: number,
  z: number,
  stamp: Buffer | undefined,
): LineOutcome {
  if (a === z || mayBeBlank(b[a]!) || mayBeBlank(b[z - 1]!)) {
    return checkTrimmed(s, b, dv, a, z, stamp);
  }
  if (b[a] === HASH) return SKIP;
  s.begin(b, dv, a, z);
  const first = s.lastB === b ? repeatedTags(s) : -1;
  let space: number;
  if (first >= 0) {
    // The measurement repeats too: `s.measurement` is still the last line's.
    space = scanTagSet(s, a + s.tagStarts[first]!, first);
  } else {
    const tags = scanMeasurement(s, a);
    if (tags < 0) return FAIL;
    space = scanTagSet(s, tags, 0);
  }
  if (space < 0) return FAIL;
  const fieldsEnd = scanFieldSet(s, space + 1);
  if (fieldsEnd < 0) return FAIL;
  const added = fieldsEnd < z ? undefined : stamp;
  if (s.dropped === 0) {
    s.remember();
    if (added === undefined) return KEEP;
  } else {
    s.forget();
  }
  s.rewritten = rewrite(s, a, added);
  return CHANGED;
}

/** Blank: one test for the bytes of a line's ends, which are hardly ever blank. */
function mayBeBlank(c: number): boolean {
  return c <= SPACE && isBlank(c);
}

/** A line with whitespace around it (or none at all): checked without it, then rewritten. */
function checkTrimmed(
  s: LineScan,
  b: Buffer,
  dv: DataView,
  a: number,
  z: number,
  stamp: Buffer | undefined,
): LineOutcome {
  let start = a;
  let end = z;
  while (start < end && isBlank(b[start]!)) start++;
  while (end > start && isBlank(b[end - 1]!)) end--;
  if (start === end) return SKIP;
  const outcome = checkLine(s, b, dv, start, end, stamp);
  if (outcome !== KEEP) return outcome;
  s.rewritten = rewrite(s, start, undefined);
  return CHANGED;
}

/** b[start, s.end) without the dropped ranges, then the stamp, then a newline. */
function rewrite(s: LineScan, start: number, stamp: Buffer | undefined): Buffer {
  const { b, drops, dropped } = s;
  const parts: Buffer[] = [];
  let from = start;
  for (let k = 0; k < dropped; k += 2) {
    parts.push(b.subarray(from, drops[k]));
    from = drops[k + 1]!;
  }
  parts.push(b.subarray(from, s.end));
  if (stamp !== undefined) parts.push(stamp);
  parts.push(NEWLINE);
  return Buffer.concat(parts);
}

// The tag set: `,key=value` pairs up to the first unescaped space. Keys must be the
// measurement's, each at most once; values are checked for length, characters, escapes, UTF-8
// and their tag's shape, the client's own check (open vocabularies by a name pattern, so an older
// Go client's `connection_type=ice` still passes).
import { isUtf8 } from 'node:buffer';
import * as chars from '../../protocol/line-protocol/chars.js';
import * as schema from '../../protocol/schema.js';
import * as compiled from './compiled-schema.js';
import { FAILED, type LineScan } from './line-scan.js';
import { badKey, noFields } from './problems.js';
import * as tagShapes from './tag-shapes.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const {
  BACKSLASH,
  COMMA,
  EQUALS,
  isEscapableInKey,
  READ_ENDS_VALUE,
  READ_ESCAPE,
  READ_NON_ASCII,
  READ_ORDINARY,
  TAG_VALUE_BYTES,
} = chars;
const { bytesFitShape, checkTag, MAX_TAG_VALUE_BYTES } = schema;
const { findKey } = compiled;
const { shapedValueEnd } = tagShapes;
const { fourOrdinaryTagBytes } = words;

/**
 * Checks the tags from b[from], the comma of the line's tag number `first` (0 just after the
 * measurement; more when the line repeats the last line's first tags, which `s.tagIndexes` still
 * names): the position of the space before the fields, or {@link FAILED}. Where each tag starts
 * and which it is are recorded in `s` for the next line. Empty values (`peer_id=`, which Go
 * clients write before they know their id) are recorded in `s.drops` to be left out: InfluxDB
 * refuses them.
 *
 * Each value first gets its tag's quick test, which finds where a value of the tag's shape ends
 * and checks the shape in the same pass, so realistic values are read once; what it does not
 * take (empty, escaped, non-ASCII or wrong values) is read in full, then checked in full.
 */
export function scanTagSet(s: LineScan, from: number, first: number): number {
  const { b, dv, start, end, tagStarts, tagIndexes, tagsSeen } = s;
  const m = s.measurement;
  const shapes = m.tagShapes;
  const tagBytes = m.tagBytes;
  let i = from;
  let k = first;
  let seen = k > 0 ? tagsSeen[k]! : 0;
  let expected = k > 0 ? tagIndexes[k - 1]! + 1 : 0;
  while (true) {
    tagStarts[k] = i - start;
    tagsSeen[k] = seen;
    if (b[i] !== COMMA) break;
    const keyStart = i + 1;
    const t = findKey(b, dv, keyStart, end, tagBytes, expected);
    if (t < 0) return badKey(s, keyStart, 'tag');
    if ((seen & (1 << t)) !== 0) return s.fail('duplicate tag', `duplicate tag: ${m.tags[t]}`);
    seen |= 1 << t;
    expected = t + 1;
    tagIndexes[k++] = t;
    const v = keyStart + tagBytes[t]!.bytes.length;
    const e = shapedValueEnd(b, dv, v, end, shapes[t]!);
    i = e >= 0 ? e : readValue(s, i, t, v);
    if (i < 0) return FAILED;
  }
  s.tagCount = k;
  return i;
}

/**
 * Reads the value of tag `t` at b[v...] in full, for values the quick test of its shape did not
 * take: the position after it, or {@link FAILED}. `i` is where the tag starts, to drop it when
 * its value is empty.
 */
function readValue(s: LineScan, i: number, t: number, v: number): number {
  const { b, dv, end } = s;
  let e = v;
  let nonAscii = false;
  // Four ordinary bytes per step while they last.
  while (e + 4 < end && fourOrdinaryTagBytes(dv.getInt32(e, true))) e += 4;
  while (true) {
    if (e >= end) return noFields(s);
    const c = b[e]!;
    // Digits, letters, `.`, `-`, `_` first: one range test for most bytes of a value.
    if ((c >= 0x2d && c <= 0x3c) || (c >= 0x3e && c <= 0x7e && c !== BACKSLASH)) {
      e++;
      continue;
    }
    const kind = TAG_VALUE_BYTES[c]!;
    if (kind === READ_ORDINARY) {
      e++;
    } else if (kind === READ_ENDS_VALUE) {
      break;
    } else if (kind === READ_NON_ASCII) {
      nonAscii = true;
      e++;
    } else if (kind === READ_ESCAPE) {
      if (e + 1 >= end || !isEscapableInKey(b[e + 1]!)) {
        return badTagValue(s, t, 'contains a backslash that escapes nothing');
      }
      e += 2;
    } else {
      return badTagValue(
        s,
        t,
        c === EQUALS ? 'contains an unescaped "="' : 'contains a control character',
      );
    }
  }
  if (e === v) {
    s.drops[s.dropped++] = i;
    s.drops[s.dropped++] = e;
  } else if (
    (nonAscii ||
      e - v > MAX_TAG_VALUE_BYTES ||
      !fitsShape(s.measurement.tagShapes[t]!.shape, b, v, e)) &&
    !goodValue(s, t, v, e, nonAscii)
  ) {
    return FAILED;
  }
  return e;
}

/**
 * A value b[v, e) the fast checks above did not pass: UTF-8, within the length bound once
 * unescaped, and of its tag's shape. False (with the reason in `s`) when not.
 */
function goodValue(s: LineScan, t: number, v: number, e: number, nonAscii: boolean): boolean {
  const { b, measurement: m } = s;
  if (nonAscii && !isUtf8(b.subarray(v, e))) {
    s.fail('invalid encoding', `invalid encoding: ${m.tags[t]} is not UTF-8`);
    return false;
  }
  const value = b.toString('utf8', v, e).replace(/\\([ ,=])/g, '$1');
  const violation = checkTag(m.schema, m.tags[t]!, value, false);
  if (violation !== undefined) {
    s.violation(violation);
    return false;
  }
  return true;
}

function fitsShape(shape: schema.TagShape | undefined, b: Buffer, v: number, e: number): boolean {
  return shape === undefined || bytesFitShape(shape, b, v, e);
}

function badTagValue(s: LineScan, t: number, why: string): typeof FAILED {
  const key = s.measurement.tags[t];
  return s.fail('invalid tag value', `invalid tag value: ${key} ${why}`);
}

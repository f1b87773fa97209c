// The first part of a line: one of the allowlisted measurement names, then `,` or a space.
import * as chars from '../../protocol/line-protocol/chars.js';
import * as compiled from './compiled-schema.js';
import type { FAILED, LineScan } from './line-scan.js';
import { clip, noFields } from './problems.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const { BACKSLASH, COMMA, SPACE } = chars;
const { COMPILED } = compiled;
const { sameBytes } = words;

/** Matches the measurement at b[start...]: the position after its name, or {@link FAILED}. */
export function scanMeasurement(s: LineScan, start: number): number {
  const { b, dv, end } = s;
  for (let k = 0; k < COMPILED.length; k++) {
    const candidate = COMPILED[k]!;
    const n = candidate.bytes.bytes.length;
    if (start + n < end) {
      const d = b[start + n];
      if ((d === COMMA || d === SPACE) && sameBytes(b, dv, start, candidate.bytes)) {
        s.measurement = candidate;
        return start + n;
      }
    }
  }
  return badMeasurement(s, start);
}

function badMeasurement(s: LineScan, start: number): typeof FAILED {
  const { b, end } = s;
  // A line without a space between its key and fields is not line protocol at all, whatever
  // its name: NetBird's Go ingest says so first, and so do we.
  if (unescapedDelimiter(b, start, end, true) >= end) return noFields(s);
  const stop = unescapedDelimiter(b, start, end, false);
  return s.violation({ kind: 'unknown measurement', measurement: clip(b, start, stop) });
}

/** Position of the first unescaped ` ` (or `,` too unless `spaceOnly`) in b[start, end). */
function unescapedDelimiter(b: Buffer, start: number, end: number, spaceOnly: boolean): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c === SPACE || (c === COMMA && !spaceOnly)) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  return end;
}

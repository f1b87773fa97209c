// Lines of one body mostly repeat the tags of the line before them: a client writes its agent's
// tags (deployment, version, os, arch, peer id) on every line, and a sync writes a line for each
// of its phases, differing only in the last tag. What the tag check finds about a tag depends
// only on the bytes from its comma to the comma or space that ends it, so a tag that repeats the
// last line's byte for byte, at the same offset and after the same tags, needs no second look.
import type { LineScan } from './line-scan.js';

/**
 * How many of the last line's tags the line in `s` starts with, byte for byte and each with the
 * byte that ends it: the tag to check from (the tag count when the whole tag set repeats), or
 * -1 when not even the measurement and the byte after it repeat. Only for a line in the same
 * buffer as the last line (`s.lastB === s.b`).
 */
export function repeatedTags(s: LineScan): number {
  const { b, dv, start, end } = s;
  const last = s.lastStart;
  const tagStarts = s.tagStarts;
  let k = s.tagCount;
  // Up to the last line's space, which ends its last tag, and within this line.
  const n = Math.min(tagStarts[k]! + 1, end - start);
  let j = 0;
  while (j + 4 <= n && dv.getInt32(start + j, true) === dv.getInt32(last + j, true)) j += 4;
  while (j < n && b[start + j] === b[last + j]) j++;
  while (k >= 0 && tagStarts[k]! >= j) k--;
  return k;
}

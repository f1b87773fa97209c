// Values split by a small integer key (a time bucket, a label's id) and sorted within each key,
// in one typed array: percentiles per bucket or per group without an array per key. Pure.
import { percentile } from './quantiles.js';

export interface SortedSegments {
  /** Values grouped by key, ascending within each key. */
  readonly values: Float64Array;
  /** Key `k`'s values are `values[offsets[k]]` up to (excluding) `values[offsets[k + 1]]`. */
  readonly offsets: Int32Array;
}

/** Splits `values` by `keyOf(i)` (0 to `keys - 1`; anything else is left out), then sorts. */
export function sortedSegments(
  values: Float64Array,
  keys: number,
  keyOf: (i: number) => number,
): SortedSegments {
  const offsets = new Int32Array(keys + 1);
  const key = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const k = keyOf(i);
    key[i] = k;
    if (k >= 0 && k < keys) offsets[k + 1] = (offsets[k + 1] as number) + 1;
  }
  for (let k = 0; k < keys; k++)
    offsets[k + 1] = (offsets[k + 1] as number) + (offsets[k] as number);
  const out = new Float64Array(offsets[keys] as number);
  const next = offsets.slice(0, keys);
  for (let i = 0; i < values.length; i++) {
    const k = key[i] as number;
    if (k < 0 || k >= keys) continue;
    out[next[k] as number] = values[i] as number;
    next[k] = (next[k] as number) + 1;
  }
  for (let k = 0; k < keys; k++) out.subarray(offsets[k], offsets[k + 1]).sort();
  return { values: out, offsets };
}

/** Key `k`'s sorted values. */
export function segment(s: SortedSegments, k: number): Float64Array {
  return s.values.subarray(s.offsets[k], s.offsets[k + 1]);
}

/** The sorted union of several keys' values. */
export function mergedSegments(s: SortedSegments, keys: readonly number[]): Float64Array {
  let n = 0;
  for (const k of keys) n += segment(s, k).length;
  const out = new Float64Array(n);
  let at = 0;
  for (const k of keys) {
    const part = segment(s, k);
    out.set(part, at);
    at += part.length;
  }
  return out.sort();
}

/** `percentile`, null where there is no such rank (as a JSON-friendly value). */
export function percentileOrNull(sorted: Float64Array, p: number): number | null {
  return percentile(sorted, p) ?? null;
}

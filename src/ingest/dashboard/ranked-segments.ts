// Values split by a small integer key (a time bucket, a label's id) in one typed array, and the
// nearest-rank percentiles of a part of it found by selection instead of sorting: a load's
// result picks three ranks out of up to a million durations, several times over, and a selection
// costs a few passes where a sort costs twenty. Pure, apart from reordering the arrays it is given.

export interface Segments {
  /** Values grouped by key, in no order within a key. */
  readonly values: Float64Array;
  /** Key `k`'s values are `values[offsets[k]]` up to (excluding) `values[offsets[k + 1]]`. */
  readonly offsets: Int32Array;
}

/** Splits `values` by `keyOf(i)` (0 to `keys - 1`; anything else is left out). */
export function segmentsBy(
  values: Float64Array,
  keys: number,
  keyOf: (i: number) => number,
): Segments {
  const offsets = new Int32Array(keys + 1);
  const key = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const k = keyOf(i);
    key[i] = k;
    if (k >= 0 && k < keys) offsets[k + 1] = (offsets[k + 1] as number) + 1;
  }
  for (let k = 0; k < keys; k++) {
    offsets[k + 1] = (offsets[k + 1] as number) + (offsets[k] as number);
  }
  const out = new Float64Array(offsets[keys] as number);
  const next = offsets.slice(0, keys);
  for (let i = 0; i < values.length; i++) {
    const k = key[i] as number;
    if (k < 0 || k >= keys) continue;
    out[next[k] as number] = values[i] as number;
    next[k] = (next[k] as number) + 1;
  }
  return { values: out, offsets };
}

/** Key `k`'s values (a view: ranking it reorders them in place). */
export function segment(s: Segments, k: number): Float64Array {
  return s.values.subarray(s.offsets[k], s.offsets[k + 1]);
}

/** The values of several keys together, as a new array. */
export function mergedSegments(s: Segments, keys: readonly number[]): Float64Array {
  let n = 0;
  for (const k of keys) n += segment(s, k).length;
  const out = new Float64Array(n);
  let at = 0;
  for (const k of keys) {
    const part = segment(s, k);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The `ps`th percentiles (0–100) of `values`, each exactly what quantiles.ts's `percentile`
 * answers for the same values sorted: the value at 1-based rank ⌊n·p/100 + ½⌋, undefined where
 * that rank is 0 (or p is out of range). Reorders `values`.
 */
export function nearestRanks(
  values: Float64Array,
  ps: readonly number[],
): Array<number | undefined> {
  const n = values.length;
  // The same float operations as `percentile`, so ranks at .5 agree.
  const ranks = ps.map((p) => (p >= 0 && p <= 100 ? Math.floor((n * p) / 100 + 0.5) : 0));
  const out: Array<number | undefined> = ps.map(() => undefined);
  // Largest rank first: after selecting rank k everything left of it is no larger, so the next
  // (smaller) rank is looked for only there.
  const order = ranks.map((_, i) => i).sort((a, b) => (ranks[b] as number) - (ranks[a] as number));
  let hi = n - 1;
  for (const i of order) {
    const k = ranks[i] as number;
    if (k < 1 || k > n) continue;
    out[i] = selectKth(values, k - 1, 0, hi);
    hi = k - 1;
  }
  return out;
}

/**
 * The (k+1)th smallest of `a[lo..hi]`, leaving smaller-or-equal values left of index k and
 * larger-or-equal right of it (Hoare partitions around a median of three). Durations come from
 * clients, who could order them to make every pivot a bad one: past a few times the expected
 * number of rounds (`maxRounds`) the rest is sorted instead, so the cost stays O(n log n)
 * whatever the input.
 */
export function selectKth(
  a: Float64Array,
  k: number,
  lo: number,
  hi: number,
  maxRounds = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8,
): number {
  let rounds = maxRounds;
  while (hi > lo) {
    if (rounds-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k] as number;
    }
    const pivot = medianOfThree(a[lo] as number, a[(lo + hi) >>> 1] as number, a[hi] as number);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

function medianOfThree(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/** A percentile from `nearestRanks`, null where there is no such rank (as JSON will carry it). */
export function orNull(v: number | undefined): number | null {
  return v ?? null;
}

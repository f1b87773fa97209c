// What PromQL's histogram_quantile must return for a set of observations, computed from the
// observations themselves with Prometheus' own interpolation rule, so tests of dashboard queries
// know the exact expected value.

/** Cumulative counts per upper bound (`le`), the last one +Inf. */
export function cumulativeBuckets(
  values: readonly number[],
  bounds: readonly number[],
): Array<[number, number]> {
  const les = [...bounds, Number.POSITIVE_INFINITY];
  return les.map((le) => [le, values.filter((v) => v <= le).length]);
}

/** Prometheus' histogram_quantile (promql/quantile.go, 2.x) over cumulative buckets. */
export function histogramQuantile(
  q: number,
  buckets: ReadonlyArray<readonly [number, number]>,
): number {
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const last = buckets[buckets.length - 1];
  if (buckets.length < 2 || last === undefined || last[0] !== Number.POSITIVE_INFINITY)
    return Number.NaN;
  const observations = last[1];
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex(([, count], i) => i < buckets.length - 1 && count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1)
    return (buckets[buckets.length - 2] as readonly [number, number])[0];
  const [upper, cumulative] = buckets[b] as readonly [number, number];
  if (b === 0 && upper <= 0) return upper;
  let start = 0;
  let count = cumulative;
  if (b > 0) {
    const [prevUpper, prevCount] = buckets[b - 1] as readonly [number, number];
    start = prevUpper;
    count -= prevCount;
    rank -= prevCount;
  }
  return start + (upper - start) * (rank / count);
}

// Percentiles of raw samples (seconds), computed the way InfluxQL's PERCENTILE computes them.
// Pure.

/**
 * The `p`th percentile (0–100) of `sorted` (ascending), exactly as InfluxQL's
 * `PERCENTILE(field, p)` answers for the same values: the sample at 1-based rank
 * ⌊n·p/100 + ½⌋, i.e. n·p/100 rounded to the nearest rank, halves up. Like InfluxQL it has no
 * value (`undefined`) when that rank is 0: no samples, p = 0, or a small p over few samples.
 *
 * Why this definition: the result is always a duration some connection, sync or login really
 * took, never a value between two samples that nobody saw (durations cluster: WireGuard's
 * whole-second handshake times make the handshake stage exactly 0 for most connections, and
 * interpolating next to such a cluster invents times no connection had); and the same samples
 * give the same number here as in an InfluxDB queried with PERCENTILE, whether the numbers come
 * from the embedded store or from InfluxDB.
 *
 * How other tools differ, so a few percent between them is expected:
 * - Linear interpolation between closest ranks (numpy's and R's default, "type 7") returns
 *   values between samples; with few samples or clustered values it can differ by up to the
 *   gap between two neighbouring samples.
 * - PromQL's `histogram_quantile` never sees the samples: it finds the bucket holding the rank
 *   and interpolates linearly inside the bucket's bounds, so it can be off by up to one bucket
 *   width, and a rank in the +Inf bucket is reported as the highest finite bound.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) return undefined;
  // The same float operations in the same order as InfluxDB, so ranks at .5 agree exactly.
  const rank = Math.floor((sorted.length * p) / 100 + 0.5);
  return rank >= 1 && rank <= sorted.length ? sorted[rank - 1] : undefined;
}

/** Count, p50, p95, p99 and max of durations (seconds); the percentiles are `percentile`'s. */
export interface Quantiles {
  readonly count: number;
  /** Seconds; undefined without samples. */
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

/** The quantiles an operator reads for a duration: count, p50, p95, p99 and max. */
export function quantiles(values: Iterable<number>): Quantiles {
  // A typed array sorts numerically without a comparator, and fast.
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? undefined : sorted[sorted.length - 1],
  };
}

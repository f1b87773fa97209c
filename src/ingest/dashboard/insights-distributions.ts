// Percentiles over the range and per time bucket, and heatmap counts, from the durations a scan
// kept. Pure: reads a series, writes nothing back.
import {
  bucketOf,
  type Distribution,
  HEATMAP_BOUNDS_SECONDS,
  type Heatmap,
  heatmapBand,
  type TimeBuckets,
} from './insights.js';
import { nearestRanks, orNull, segment, segmentsBy } from './ranked-segments.js';
import type { StepTallies } from './step-tallies.js';
import type { ValueSeries } from './value-series.js';

const BANDS = HEATMAP_BOUNDS_SECONDS.length + 1;
const PERCENTILES = [50, 95, 99] as const;

/**
 * Count, p50/p95/p99 and max over the range and per bucket. Counts and the max are exact even
 * when the series keeps only a sample of its values (`tallies` then has the per-bucket counts,
 * in one column or one per duration band when `banded`); the percentiles are over what is kept.
 */
export function distribution(
  series: ValueSeries,
  buckets: TimeBuckets,
  tallies: StepTallies | undefined,
  banded: boolean,
): Distribution {
  const [p50, p95, p99] = nearestRanks(series.values.slice(), PERCENTILES);
  const times = series.times;
  const perBucket = segmentsBy(series.values, buckets.count, (i) =>
    bucketOf(buckets, times[i] as number),
  );
  const bucketIndexes = Array.from({ length: buckets.count }, (_, b) => b);
  const count =
    tallies === undefined
      ? bucketIndexes.map((b) => segment(perBucket, b).length)
      : tallies
          .rows(buckets)
          .map((row) => (banded ? row.reduce((n, c) => n + c, 0) : (row[0] ?? 0)));
  const ranked = bucketIndexes.map((b) => nearestRanks(segment(perBucket, b), PERCENTILES));
  const at = (i: number) => ranked.map((r) => orNull(r[i]));
  return {
    overall: { count: series.seen, p50, p95, p99, max: series.max },
    overTime: { count, p50: at(0), p95: at(1), p99: at(2) },
  };
}

/** Samples per bucket and duration band; exact from `tallies` when the series is a sample. */
export function heatmap(
  series: ValueSeries,
  buckets: TimeBuckets,
  tallies: StepTallies | undefined,
): Heatmap {
  if (tallies !== undefined) return { counts: tallies.rows(buckets) };
  const counts = Array.from({ length: buckets.count }, () => new Array<number>(BANDS).fill(0));
  const { times, values } = series;
  for (let i = 0; i < times.length; i++) {
    const row = counts[bucketOf(buckets, times[i] as number)];
    if (row === undefined) continue;
    const band = heatmapBand(values[i] as number);
    row[band] = (row[band] as number) + 1;
  }
  return { counts };
}

/** Sum of the values per bucket; exact from `tallies` (one column of sums) when given. */
export function secondsPerBucket(
  series: ValueSeries,
  buckets: TimeBuckets,
  tallies: StepTallies | undefined,
): number[] {
  if (tallies !== undefined) return tallies.rows(buckets).map((row) => row[0] ?? 0);
  const out = new Array<number>(buckets.count).fill(0);
  const { times, values } = series;
  for (let i = 0; i < times.length; i++) {
    const b = bucketOf(buckets, times[i] as number);
    if (b >= 0) out[b] = (out[b] as number) + (values[i] as number);
  }
  return out;
}

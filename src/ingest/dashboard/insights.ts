// What the operator views of the dashboard show, beyond NetBird's eight panels: percentiles over
// the range and per time bucket, latency heatmaps, breakdowns by tag and the sync phases. Both
// sources (the embedded store's samples and InfluxDB through InfluxQL) fill these same shapes,
// so the page and `data.json` do not know where the numbers came from. Types and the pure
// bucketing rules both sources share.
import type { Filters } from './filters.js';
import type { TimeRange } from './panels.js';
import type { Quantiles } from './quantiles.js';

/**
 * Time buckets: bucket `i` covers `[start + i·stepMs, start + (i+1)·stepMs)`. `start` is a
 * multiple of `stepMs` since the epoch, as InfluxQL's `GROUP BY time(step)` aligns its buckets,
 * so both sources put every sample in the same bucket.
 */
export interface TimeBuckets {
  readonly start: number;
  readonly stepMs: number;
  readonly count: number;
}

/** Steps a range is divided by, smallest first: whole seconds, minutes, hours and days. */
export const BUCKET_STEPS_MS = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
] as const;

/** At most this many buckets over a range: one a few pixels wide on a desktop plot. */
export const MAX_BUCKETS = 60;

/** The smallest step from {@link BUCKET_STEPS_MS} giving at most {@link MAX_BUCKETS} buckets. */
export function timeBuckets(range: TimeRange): TimeBuckets {
  const steps = BUCKET_STEPS_MS as readonly number[];
  const largest = steps[steps.length - 1] as number;
  const stepMs = steps.find((s) => bucketCount(range, s) <= MAX_BUCKETS) ?? largest;
  return {
    start: Math.floor(range.from / stepMs) * stepMs,
    stepMs,
    count: bucketCount(range, stepMs),
  };
}

function bucketCount(range: TimeRange, stepMs: number): number {
  return Math.floor(range.to / stepMs) - Math.floor(range.from / stepMs) + 1;
}

/** The bucket of time `t` (epoch ms), or -1 outside the buckets. */
export function bucketOf(buckets: TimeBuckets, t: number): number {
  const i = Math.floor((t - buckets.start) / buckets.stepMs);
  return i >= 0 && i < buckets.count ? i : -1;
}

/** Count and p50/p95/p99 per time bucket; a percentile is null in a bucket without it. */
export interface QuantilesOverTime {
  readonly count: readonly number[];
  readonly p50: readonly (number | null)[];
  readonly p95: readonly (number | null)[];
  readonly p99: readonly (number | null)[];
}

/** One duration (seconds) an operator reads as a distribution. */
export interface Distribution {
  readonly overall: Quantiles;
  readonly overTime: QuantilesOverTime;
}

/**
 * Upper bounds (seconds, inclusive) of a heatmap's duration bands, in 1-2-5 steps from 1 ms to
 * 10 min; a last band holds everything longer. Fixed, so heatmaps of different ranges and
 * sources compare cell by cell.
 */
export const HEATMAP_BOUNDS_SECONDS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 600,
] as const;

/** The band of a duration: the first bound it does not exceed, or the last band above them all. */
export function heatmapBand(seconds: number): number {
  const bounds = HEATMAP_BOUNDS_SECONDS;
  for (let i = 0; i < bounds.length; i++) if (seconds <= (bounds[i] as number)) return i;
  return bounds.length;
}

/** Sample counts per time bucket and duration band: `counts[bucket][band]`. */
export interface Heatmap {
  readonly counts: readonly (readonly number[])[];
}

/** One group of a breakdown; `other` sums every group not shown on its own. */
export interface BreakdownRow {
  readonly label: string;
  /** The value drawn (seconds, or a ratio 0–1, or a count); null without samples. */
  readonly value: number | null;
  /** Samples behind the value. */
  readonly count: number;
  readonly other?: true;
}

export interface Breakdown {
  readonly unit: 'seconds' | 'ratio' | 'count';
  /** Largest groups first (by count), "other" last; at most the group limit plus "other". */
  readonly rows: readonly BreakdownRow[];
}

export interface PhaseRow {
  readonly phase: string;
  readonly quantiles: Quantiles;
  /** Sum of the phase's durations, seconds. */
  readonly totalSeconds: number;
  /** `totalSeconds` over the sum of sync durations in the range; null without syncs. */
  readonly shareOfSync: number | null;
}

export interface SyncPhases {
  /** Known phases in the order a sync runs them, then others by name; bounded like any group. */
  readonly rows: readonly PhaseRow[];
  /** Sum of each phase's durations per time bucket, seconds, in `rows` order (a stacked plot). */
  readonly secondsOverTime: readonly (readonly number[])[];
  /** Sum of sync durations in the range, seconds: the reference the shares are of. */
  readonly syncTotalSeconds: number;
  /**
   * Sum of sync durations per time bucket, seconds: drawn over the stacked phases, so time no
   * phase accounts for shows as the gap between the stack and this line.
   */
  readonly syncSecondsOverTime: readonly number[];
}

export interface Insights {
  /** The filters the numbers were computed with. */
  readonly filters: Filters;
  readonly buckets: TimeBuckets;
  /** First and last sample time in the range (epoch ms) over all measurements; null when none. */
  readonly extent: TimeRange | null;
  readonly distributions: {
    readonly connectionTotal: Distribution;
    readonly signalingToConnection: Distribution;
    readonly connectionToHandshake: Distribution;
    readonly sync: Distribution;
    readonly login: Distribution;
  };
  readonly heatmaps: {
    readonly connectionTotal: Heatmap;
    readonly sync: Heatmap;
  };
  readonly breakdowns: {
    /** p95 of the total connection time per connection type. */
    readonly p95TotalByConnectionType: Breakdown;
    /** Share of connection samples over relay, per os. */
    readonly relayShareByOs: Breakdown;
    /** Share of logins that failed, per version. */
    readonly loginFailureRateByVersion: Breakdown;
    /** Connection samples per attempt type. */
    readonly connectionsByAttemptType: Breakdown;
  };
  readonly syncPhases: SyncPhases;
  /** What a bound cut, in words; absent when every number is exact. */
  readonly truncated?: readonly string[];
}

/**
 * The range a "fit" request shows: `range` narrowed to start at the bucket holding `extent.from`
 * (the first sample), never before `range.from`, so a short burst of data fills the plots
 * instead of a corner of them. The bucket is that of the narrowed range's own step; narrowing
 * this way keeps the step, so `timeBuckets` of the result puts every sample where it was.
 */
export function fittedRange(range: TimeRange, extent: TimeRange): TimeRange {
  const stepMs = timeBuckets({ from: extent.from, to: range.to }).stepMs;
  return { from: Math.max(range.from, Math.floor(extent.from / stepMs) * stepMs), to: range.to };
}

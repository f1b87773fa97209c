// The statements behind the operator views: which field of which measurement each view reads,
// the columns asked for, the band and bucket conditions, and how a bucketed answer is read.
// PERCENTILE is the nearest rank, as the dashboard's own percentile; `GROUP BY time(step)`
// aligns its buckets to the epoch, as the dashboard's buckets are. Pure.
import { type MeasurementName, SYNC_PHASES } from '../../protocol/schema.js';
import { firstValue, rows, type Series } from './influxql-client.js';
import {
  anyOf,
  influxqlIdentifier,
  type QueryScope,
  tagEquals,
  whereClause,
} from './influxql-filters.js';
import type { GroupingSpec } from './influxql-groups.js';
import {
  type Breakdown,
  bucketOf,
  HEATMAP_BOUNDS_SECONDS,
  type Insights,
  type TimeBuckets,
} from './insights.js';
import type { Quantiles } from './quantiles.js';

/** One statement and what to do with its answer. */
export interface Query {
  readonly statement: string;
  read(series: readonly Series[]): void;
}

export const id = influxqlIdentifier;

export const DISTRIBUTIONS = {
  connectionTotal: ['netbird_peer_connection', 'total_seconds'],
  signalingToConnection: ['netbird_peer_connection', 'signaling_to_connection_seconds'],
  connectionToHandshake: ['netbird_peer_connection', 'connection_to_wg_handshake_seconds'],
  sync: ['netbird_sync', 'duration_seconds'],
  login: ['netbird_login', 'duration_seconds'],
} as const satisfies Record<string, readonly [MeasurementName, string]>;

export type DistributionName = keyof typeof DISTRIBUTIONS;

/** The field whose first and last sample times give a measurement's extent. */
export const EXTENT_FIELDS = [
  ['netbird_peer_connection', 'total_seconds'],
  ['netbird_sync', 'duration_seconds'],
  ['netbird_sync_phase', 'duration_seconds'],
  ['netbird_login', 'duration_seconds'],
] as const satisfies ReadonlyArray<readonly [MeasurementName, string]>;

export const PHASE = 'netbird_sync_phase';
export const DURATION = 'duration_seconds';

export function quantileColumns(field: string): string {
  const f = id(field);
  return `count(${f}) AS "count", percentile(${f}, 50) AS "p50", percentile(${f}, 95) AS "p95", percentile(${f}, 99) AS "p99"`;
}

/** Count, p50/p95/p99, max and sum of a field: the columns {@link readQuantiles} reads. */
export function statsColumns(field: string): string {
  return `${quantileColumns(field)}, max(${id(field)}) AS "max", sum(${id(field)}) AS "sum"`;
}

export function readQuantiles(series: readonly Series[] | undefined): Quantiles {
  return {
    count: firstValue(series, 'count') ?? 0,
    p50: firstValue(series, 'p50'),
    p95: firstValue(series, 'p95'),
    p99: firstValue(series, 'p99'),
    max: firstValue(series, 'max'),
  };
}

export function select(
  columns: string,
  measurement: MeasurementName,
  scope: QueryScope,
  conditions: readonly (string | undefined)[] = [],
  groupBy = '',
): string {
  const where = whereClause(measurement, scope, ...conditions);
  return `SELECT ${columns} FROM ${id(measurement)} ${where}${groupBy ? ` GROUP BY ${groupBy}` : ''}`;
}

/** `GROUP BY time(step)` without empty buckets: a bucket without samples has no row at all. */
export function byBucket(buckets: TimeBuckets, tag?: string): string {
  return `time(${buckets.stepMs}ms)${tag === undefined ? '' : `, ${id(tag)}`} fill(none)`;
}

/** Per-bucket values of `column`, `empty` where a bucket has no row. */
export function perBucket<T>(
  series: readonly Series[],
  buckets: TimeBuckets,
  column: string,
  empty: T,
): (number | T)[] {
  const out = new Array<number | T>(buckets.count).fill(empty);
  for (const row of rows(series)) {
    const i = row.time === undefined ? -1 : bucketOf(buckets, row.time);
    const v = row.get(column);
    if (i >= 0 && v !== undefined) out[i] = v;
  }
  return out;
}

/** The condition for heatmap band `band`: above the bound before it, up to its own bound. */
export function bandCondition(field: string, band: number): string {
  const bounds = HEATMAP_BOUNDS_SECONDS;
  const lo = band === 0 ? undefined : bounds[band - 1];
  const hi = bounds[band];
  const f = id(field);
  const terms = [lo === undefined ? '' : `${f} > ${lo}`, hi === undefined ? '' : `${f} <= ${hi}`];
  return terms.filter((t) => t !== '').join(' AND ');
}

export type BreakdownName = keyof Insights['breakdowns'];

export interface BreakdownSpec extends GroupingSpec {
  readonly unit: Breakdown['unit'];
  /** For a ratio: the condition of the numerator's samples. For seconds: the percentile. */
  readonly numerator?: string;
  readonly percentile?: number;
}

export const BREAKDOWNS: Record<BreakdownName, BreakdownSpec> = {
  p95TotalByConnectionType: {
    measurement: 'netbird_peer_connection',
    field: 'total_seconds',
    tag: 'connection_type',
    unit: 'seconds',
    percentile: 95,
  },
  relayShareByOs: {
    measurement: 'netbird_peer_connection',
    field: 'total_seconds',
    tag: 'os',
    unit: 'ratio',
    numerator: tagEquals('connection_type', 'relay'),
  },
  loginFailureRateByVersion: {
    measurement: 'netbird_login',
    field: DURATION,
    tag: 'version',
    unit: 'ratio',
    numerator: tagEquals('result', 'failure'),
  },
  connectionsByAttemptType: {
    measurement: 'netbird_peer_connection',
    field: 'total_seconds',
    tag: 'attempt_type',
    unit: 'count',
  },
};

export const BREAKDOWN_NAMES = Object.keys(BREAKDOWNS) as BreakdownName[];

export const UNKNOWN_PHASES: GroupingSpec = {
  measurement: PHASE,
  field: DURATION,
  tag: 'phase',
  excluded: SYNC_PHASES,
};

export const BANDS = HEATMAP_BOUNDS_SECONDS.length + 1;
export const KNOWN_PHASE = anyOf(SYNC_PHASES.map((phase) => tagEquals('phase', phase)));

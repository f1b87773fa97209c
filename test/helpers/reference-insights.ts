// An independent, deliberately plain computation of the dashboard's operator views from raw
// samples: filter, group, sort, take the nearest rank. Tests hold the ingest's `data.json` and
// page against it. It shares only fixed constants and the time-bucket rule with the code under
// test, so a mistake in the dashboard's accumulators or queries cannot repeat itself here.
import { FILTER_TAGS } from '../../src/ingest/dashboard/filters.js';
import { HEATMAP_BOUNDS_SECONDS, timeBuckets } from '../../src/ingest/dashboard/insights.js';
import { MEASUREMENTS, type Sample, SYNC_PHASES } from '../../src/protocol/schema.js';

export interface Range {
  readonly from: number;
  readonly to: number;
}

export type RefFilters = Readonly<Record<string, string>>;

export interface RefQuantiles {
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export interface RefDistribution {
  overall: RefQuantiles;
  overTime: {
    count: number[];
    p50: (number | null)[];
    p95: (number | null)[];
    p99: (number | null)[];
  };
}

export interface RefRow {
  label: string;
  value: number | null;
  count: number;
  other?: true;
}

export interface RefBreakdown {
  unit: 'seconds' | 'ratio' | 'count';
  rows: RefRow[];
}

export interface RefPhaseRow {
  phase: string;
  quantiles: RefQuantiles;
  totalSeconds: number;
  shareOfSync: number | null;
}

export interface RefInsights {
  filters: RefFilters;
  buckets: { start: number; stepMs: number; count: number };
  extent: Range | null;
  distributions: {
    connectionTotal: RefDistribution;
    signalingToConnection: RefDistribution;
    connectionToHandshake: RefDistribution;
    sync: RefDistribution;
    login: RefDistribution;
  };
  heatmaps: { connectionTotal: { counts: number[][] }; sync: { counts: number[][] } };
  breakdowns: {
    p95TotalByConnectionType: RefBreakdown;
    relayShareByOs: RefBreakdown;
    loginFailureRateByVersion: RefBreakdown;
    connectionsByAttemptType: RefBreakdown;
  };
  syncPhases: {
    rows: RefPhaseRow[];
    secondsOverTime: number[][];
    syncTotalSeconds: number;
    syncSecondsOverTime: number[];
  };
}

/** One sample reduced to what the views read: time in ms, tags, fields. */
export interface Point {
  measurement: string;
  t: number;
  tags: Readonly<Record<string, string>>;
  fields: Readonly<Record<string, number>>;
}

const OTHER = 'other';
const UNKNOWN = 'unknown';

function timeMs(sample: Sample): number | undefined {
  if (sample.timestampNs === undefined) return undefined;
  return Number(sample.timestampNs / 1_000_000n);
}

/** Whether the measurement's schema lists the tag (a filter on a tag it lacks does not apply). */
function hasTag(measurement: string, tag: string): boolean {
  const schema = (MEASUREMENTS as Record<string, { tags: readonly string[] }>)[measurement];
  return schema?.tags.includes(tag) === true;
}

function passes(p: Point, filters: RefFilters): boolean {
  return Object.entries(filters).every(
    ([tag, want]) => !hasTag(p.measurement, tag) || p.tags[tag] === want,
  );
}

/** The samples inside `range` (both ends inclusive) that pass the filters. */
export function selectPoints(
  samples: readonly Sample[],
  range: Range,
  filters: RefFilters,
): Point[] {
  const out: Point[] = [];
  for (const s of samples) {
    const t = timeMs(s);
    if (t === undefined || t < range.from || t > range.to) continue;
    const p: Point = { measurement: s.measurement, t, tags: s.tags, fields: s.fields };
    if (passes(p, filters)) out.push(p);
  }
  return out;
}

/** The filtered samples in `range`, as samples again (e.g. for the eight classic panels). */
export function filterSamples(
  samples: readonly Sample[],
  range: Range,
  filters: RefFilters,
): Sample[] {
  return samples.filter((s) => {
    const t = timeMs(s);
    if (t === undefined || t < range.from || t > range.to) return false;
    return passes({ measurement: s.measurement, t, tags: s.tags, fields: s.fields }, filters);
  });
}

/** Nearest rank, halves up: the value at 1-based rank ⌊n·p/100 + ½⌋, none at rank 0. */
export function nearestRank(values: readonly number[], p: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.floor((sorted.length * p) / 100 + 0.5);
  return rank >= 1 && rank <= sorted.length ? sorted[rank - 1] : undefined;
}

export function refQuantiles(values: readonly number[]): RefQuantiles {
  return {
    count: values.length,
    p50: nearestRank(values, 50),
    p95: nearestRank(values, 95),
    p99: nearestRank(values, 99),
    max: values.length === 0 ? undefined : values.reduce((a, b) => Math.max(a, b)),
  };
}

function num(p: Point, field: string): number | undefined {
  const v = p.fields[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `[time, value]` of every point of `measurement` that has `field`. */
function valuesOf(points: readonly Point[], measurement: string, field: string) {
  const out: Array<{ t: number; v: number }> = [];
  for (const p of points) {
    const v = p.measurement === measurement ? num(p, field) : undefined;
    if (v !== undefined) out.push({ t: p.t, v });
  }
  return out;
}

type Buckets = RefInsights['buckets'];

function bucketIndex(b: Buckets, t: number): number {
  return Math.floor(t / b.stepMs) - Math.floor(b.start / b.stepMs);
}

function distribution(tv: ReadonlyArray<{ t: number; v: number }>, b: Buckets): RefDistribution {
  const perBucket: number[][] = Array.from({ length: b.count }, () => []);
  for (const { t, v } of tv) perBucket[bucketIndex(b, t)]?.push(v);
  const orNull = (x: number | undefined) => (x === undefined ? null : x);
  return {
    overall: refQuantiles(tv.map((x) => x.v)),
    overTime: {
      count: perBucket.map((vs) => vs.length),
      p50: perBucket.map((vs) => orNull(nearestRank(vs, 50))),
      p95: perBucket.map((vs) => orNull(nearestRank(vs, 95))),
      p99: perBucket.map((vs) => orNull(nearestRank(vs, 99))),
    },
  };
}

/** The first bound a duration does not exceed, or one past the last bound. */
function band(seconds: number): number {
  const i = HEATMAP_BOUNDS_SECONDS.findIndex((bound) => seconds <= bound);
  return i < 0 ? HEATMAP_BOUNDS_SECONDS.length : i;
}

function heatmap(tv: ReadonlyArray<{ t: number; v: number }>, b: Buckets): { counts: number[][] } {
  const counts = Array.from({ length: b.count }, () =>
    new Array<number>(HEATMAP_BOUNDS_SECONDS.length + 1).fill(0),
  );
  for (const { t, v } of tv) {
    const row = counts[bucketIndex(b, t)];
    if (row) row[band(v)] = (row[band(v)] ?? 0) + 1;
  }
  return { counts };
}

/** Byte order of the UTF-8 encodings. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Groups by label: the `maxGroups` labels with the most members (ties: label in byte order) on
 * their own, every other label merged into "other" (listed last).
 */
export function topGroups<T>(
  groups: ReadonlyMap<string, T[]>,
  maxGroups: number,
): Array<{ label: string; members: T[]; other?: true }> {
  const labels = [...groups.keys()].sort(
    (a, b) => (groups.get(b)?.length ?? 0) - (groups.get(a)?.length ?? 0) || byteOrder(a, b),
  );
  const out: Array<{ label: string; members: T[]; other?: true }> = labels
    .slice(0, maxGroups)
    .map((label) => ({ label, members: groups.get(label) ?? [] }));
  const rest = labels.slice(maxGroups).flatMap((label) => groups.get(label) ?? []);
  if (rest.length > 0) out.push({ label: OTHER, members: rest, other: true });
  return out;
}

function groupBy(points: readonly Point[], tag: string): Map<string, Point[]> {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const label = p.tags[tag] ?? UNKNOWN;
    const list = groups.get(label) ?? [];
    list.push(p);
    groups.set(label, list);
  }
  return groups;
}

function breakdown(
  points: readonly Point[],
  tag: string,
  unit: RefBreakdown['unit'],
  value: (members: Point[]) => number | null,
  maxGroups: number,
): RefBreakdown {
  const rows = topGroups(groupBy(points, tag), maxGroups).map(
    (g): RefRow => ({
      label: g.label,
      value: value(g.members),
      count: g.members.length,
      ...(g.other ? { other: true as const } : {}),
    }),
  );
  return { unit, rows };
}

function share(members: readonly Point[], test: (p: Point) => boolean): number | null {
  return members.length === 0 ? null : members.filter(test).length / members.length;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Sum of `duration_seconds` of the points per time bucket. */
function sumsPerBucket(points: readonly Point[], b: Buckets): number[] {
  const row = new Array<number>(b.count).fill(0);
  for (const p of points) {
    const i = bucketIndex(b, p.t);
    if (i >= 0 && i < b.count) row[i] = (row[i] ?? 0) + (num(p, 'duration_seconds') as number);
  }
  return row;
}

/** Known phases in sync order, then up to `maxGroups` other names (by name), then "other". */
function phaseGroups(phases: readonly Point[], maxGroups: number) {
  const groups = groupBy(phases, 'phase');
  const known = new Set<string>(SYNC_PHASES);
  const out: Array<{ label: string; members: Point[] }> = [];
  for (const phase of SYNC_PHASES) {
    const members = groups.get(phase);
    if (members) out.push({ label: phase, members });
  }
  const unknown = new Map([...groups].filter(([name]) => !known.has(name)));
  const bounded = topGroups(unknown, maxGroups);
  const named = bounded.filter((g) => !g.other).sort((a, b) => byteOrder(a.label, b.label));
  return [...out, ...named, ...bounded.filter((g) => g.other)];
}

function syncPhases(points: readonly Point[], b: Buckets, maxGroups: number) {
  const syncTotalSeconds = sum(
    valuesOf(points, 'netbird_sync', 'duration_seconds').map((x) => x.v),
  );
  const phases = points.filter(
    (p) => p.measurement === 'netbird_sync_phase' && num(p, 'duration_seconds') !== undefined,
  );
  const groups = phaseGroups(phases, maxGroups);
  const rows = groups.map((g): RefPhaseRow => {
    const values = g.members.map((p) => num(p, 'duration_seconds') as number);
    const totalSeconds = sum(values);
    return {
      phase: g.label,
      quantiles: refQuantiles(values),
      totalSeconds,
      shareOfSync: syncTotalSeconds === 0 ? null : totalSeconds / syncTotalSeconds,
    };
  });
  const secondsOverTime = groups.map((g) => sumsPerBucket(g.members, b));
  const syncs = points.filter(
    (p) => p.measurement === 'netbird_sync' && num(p, 'duration_seconds') !== undefined,
  );
  return { rows, secondsOverTime, syncTotalSeconds, syncSecondsOverTime: sumsPerBucket(syncs, b) };
}

/** First and last sample time among `points`, or null without any. */
export function extentOf(points: readonly Point[]): Range | null {
  if (points.length === 0) return null;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (p.t < from) from = p.t;
    if (p.t > to) to = p.t;
  }
  return { from, to };
}

/**
 * The range a request without an explicit range shows: the preset's end, from the start of
 * the time bucket that holds the first sample in the preset but not before the preset's start
 * (the preset itself without any sample).
 */
export function fittedRange(samples: readonly Sample[], preset: Range, filters: RefFilters): Range {
  const extent = extentOf(selectPoints(samples, preset, filters));
  if (extent === null) return preset;
  const b = timeBuckets({ from: extent.from, to: preset.to });
  return { from: Math.max(preset.from, b.start), to: preset.to };
}

/** Every operator view of the samples in `range` with `filters`, computed the plain way. */
export function referenceInsights(
  samples: readonly Sample[],
  range: Range,
  filters: RefFilters,
  maxGroups: number,
): RefInsights {
  for (const tag of Object.keys(filters)) {
    if (!(FILTER_TAGS as readonly string[]).includes(tag)) throw new Error(`not a filter: ${tag}`);
  }
  const points = selectPoints(samples, range, filters);
  const { start, stepMs, count } = timeBuckets(range);
  const b = { start, stepMs, count };
  const total = valuesOf(points, 'netbird_peer_connection', 'total_seconds');
  const sync = valuesOf(points, 'netbird_sync', 'duration_seconds');
  const connections = points.filter(
    (p) => p.measurement === 'netbird_peer_connection' && num(p, 'total_seconds') !== undefined,
  );
  const logins = points.filter(
    (p) => p.measurement === 'netbird_login' && num(p, 'duration_seconds') !== undefined,
  );
  const totals = (members: Point[]) =>
    nearestRank(
      members.map((p) => num(p, 'total_seconds') as number),
      95,
    ) ?? null;
  return {
    filters,
    buckets: b,
    extent: extentOf(points),
    distributions: {
      connectionTotal: distribution(total, b),
      signalingToConnection: distribution(
        valuesOf(points, 'netbird_peer_connection', 'signaling_to_connection_seconds'),
        b,
      ),
      connectionToHandshake: distribution(
        valuesOf(points, 'netbird_peer_connection', 'connection_to_wg_handshake_seconds'),
        b,
      ),
      sync: distribution(sync, b),
      login: distribution(valuesOf(points, 'netbird_login', 'duration_seconds'), b),
    },
    heatmaps: { connectionTotal: heatmap(total, b), sync: heatmap(sync, b) },
    breakdowns: {
      p95TotalByConnectionType: breakdown(
        connections,
        'connection_type',
        'seconds',
        totals,
        maxGroups,
      ),
      relayShareByOs: breakdown(
        connections,
        'os',
        'ratio',
        (m) => share(m, (p) => p.tags.connection_type === 'relay'),
        maxGroups,
      ),
      loginFailureRateByVersion: breakdown(
        logins,
        'version',
        'ratio',
        (m) => share(m, (p) => p.tags.result === 'failure'),
        maxGroups,
      ),
      connectionsByAttemptType: breakdown(
        connections,
        'attempt_type',
        'count',
        (m) => m.length,
        maxGroups,
      ),
    },
    syncPhases: syncPhases(points, b, maxGroups),
  };
}

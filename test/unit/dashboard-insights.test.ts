// Every number of the dashboard's insights against the same number computed here the plain way
// (filter an array, sort it, take the nearest rank, count), with and without filters, fitted or
// not, within and past every bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../examples/demo/distributions.js';
import type { Filters } from '../../src/ingest/dashboard/filters.js';
import {
  HEATMAP_BOUNDS_SECONDS,
  type Insights,
  timeBuckets,
} from '../../src/ingest/dashboard/insights.js';
import {
  emptyInsights,
  InsightsAccumulator,
} from '../../src/ingest/dashboard/insights-accumulator.js';
import { LabelIds } from '../../src/ingest/dashboard/label-ids.js';
import { computePanels, type TimeRange } from '../../src/ingest/dashboard/panels.js';
import { percentile } from '../../src/ingest/dashboard/quantiles.js';
import { nearestRanks, selectKth } from '../../src/ingest/dashboard/ranked-segments.js';
import { samplesSource } from '../../src/ingest/dashboard/source.js';
import { StepTallies } from '../../src/ingest/dashboard/step-tallies.js';
import { ValueSeries } from '../../src/ingest/dashboard/value-series.js';
import { MEASUREMENTS, type Sample, SYNC_PHASES } from '../../src/protocol/schema.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

const OSES = ['linux', 'darwin', 'windows', 'ios', 'android', 'freebsd', 'a', 'b', 'c', 'd', 'e'];
const VERSIONS = [
  '0.60.0',
  '0.61.0',
  '0.62.0',
  '0.62.1',
  '0.59.0',
  '0.58.0',
  '0.57.0',
  '0.56',
  '0.55',
  '0.54',
];
const TYPES = ['ice_p2p', 'ice_turn', 'relay', 'quic', 'udp2'];
const PHASES = [
  ...SYNC_PHASES,
  'zz_new',
  'aa_new',
  'mid',
  'p1',
  'p2',
  'p3',
  'p4',
  'p5',
  'p6',
  'p7',
];

interface Fleet {
  samples: Sample[];
  range: TimeRange;
}

/**
 * Samples of all four measurements over `span` ms before NOW, a few outside it and one without
 * a time; skewed choices so group sizes differ, durations spread over every heatmap band.
 */
function fleet(n: number, seed: number, span = HOUR, offset = 0): Fleet {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() ** 2 * xs.length)] as T;
  const duration = () => Math.round(10 ** (r() * 6.5 - 3.5) * 1e6) / 1e6;
  const range = { from: NOW - span, to: NOW };
  const at = () => range.from + offset + Math.floor(r() * (span - offset + 1));
  const agent = () => ({
    deployment_type: pick(['cloud', 'selfhosted', 'unknown']),
    version: pick(VERSIONS),
    os: pick(OSES),
    arch: pick(['amd64', 'arm64']),
    peer_id: 'aaaaaaaaaaaaaaaa',
  });
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r();
    if (kind < 0.3) {
      const total = duration();
      const tags: Record<string, string> = {
        ...agent(),
        connection_type: pick(TYPES),
        attempt_type: pick(['initial', 'reconnection']),
        connection_pair_id: `p${Math.floor(r() * 50)}`,
      };
      if (r() < 0.05) delete tags.os;
      samples.push({
        measurement: 'netbird_peer_connection',
        tags,
        fields: {
          total_seconds: total,
          signaling_to_connection_seconds: Math.round(total * r() * 1e6) / 1e6,
          connection_to_wg_handshake_seconds: r() < 0.5 ? 0 : duration(),
        },
        timestampNs: ns(at()),
      });
    } else if (kind < 0.45) {
      samples.push({
        measurement: 'netbird_sync',
        tags: agent(),
        fields: { duration_seconds: duration() },
        timestampNs: ns(at()),
      });
    } else if (kind < 0.9) {
      samples.push({
        measurement: 'netbird_sync_phase',
        tags: { ...agent(), phase: pick(PHASES) },
        fields: { duration_seconds: duration() / 10 },
        timestampNs: ns(at()),
      });
    } else {
      samples.push({
        measurement: 'netbird_login',
        tags: { ...agent(), result: r() < 0.3 ? 'failure' : 'success' },
        fields: { duration_seconds: duration() },
        timestampNs: ns(at()),
      });
    }
  }
  // Durations on every band's bound, at the first and last millisecond of buckets.
  const step = timeBuckets(range).stepMs;
  HEATMAP_BOUNDS_SECONDS.forEach((bound, i) => {
    const edge = (Math.floor(range.to / step) - 1 - (i % 5)) * step - (i % 2);
    samples.push({
      measurement: 'netbird_sync',
      tags: agent(),
      fields: { duration_seconds: bound },
      timestampNs: ns(edge),
    });
    samples.push({
      measurement: 'netbird_peer_connection',
      tags: { ...agent(), connection_type: 'relay', connection_pair_id: 'edge' },
      fields: { total_seconds: bound },
      timestampNs: ns(edge),
    });
  });
  // Outside the range, and without a time: never counted.
  const outside = { ...(samples[0] as Sample) };
  samples.push({ ...outside, timestampNs: ns(NOW + 1) });
  samples.push({ ...outside, timestampNs: ns(range.from - 1) });
  samples.push({ measurement: outside.measurement, tags: outside.tags, fields: outside.fields });
  return { samples, range };
}

// ---- The plain way -------------------------------------------------------------------------

interface Point {
  m: string;
  t: number;
  tags: Readonly<Record<string, string>>;
  v: Readonly<Record<string, number>>;
}

function points(samples: readonly Sample[], range: TimeRange, filters: Filters): Point[] {
  const out: Point[] = [];
  for (const s of samples) {
    if (s.timestampNs === undefined) continue;
    const t = Number(s.timestampNs / 1_000_000n);
    if (t < range.from || t > range.to) continue;
    const tags = MEASUREMENTS[s.measurement as keyof typeof MEASUREMENTS]?.tags as
      | readonly string[]
      | undefined;
    const pass = Object.entries(filters).every(
      ([tag, want]) => !tags?.includes(tag) || s.tags[tag] === want,
    );
    if (pass) out.push({ m: s.measurement, t, tags: s.tags, v: s.fields });
  }
  return out;
}

function rank(values: readonly number[], p: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.floor((sorted.length * p) / 100 + 0.5);
  return k >= 1 && k <= sorted.length ? sorted[k - 1] : undefined;
}

function quantilesOf(values: readonly number[]) {
  return {
    count: values.length,
    p50: rank(values, 50),
    p95: rank(values, 95),
    p99: rank(values, 99),
    max: values.length === 0 ? undefined : Math.max(...values),
  };
}

function band(v: number): number {
  const i = HEATMAP_BOUNDS_SECONDS.findIndex((b) => v <= b);
  return i < 0 ? HEATMAP_BOUNDS_SECONDS.length : i;
}

function values(ps: readonly Point[], m: string, field: string): Array<[number, number]> {
  return ps.filter((p) => p.m === m && field in p.v).map((p) => [p.t, p.v[field] as number]);
}

/** Largest `max` groups by count (ties: label), then "other" of the rest. */
function top<T>(
  groups: Map<string, T[]>,
  max: number,
): Array<{ label: string; items: T[]; other?: true }> {
  const sorted = [...groups].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const rows: Array<{ label: string; items: T[]; other?: true }> = sorted
    .slice(0, max)
    .map(([label, items]) => ({ label, items }));
  const rest = sorted.slice(max).flatMap(([, items]) => items);
  if (rest.length > 0) rows.push({ label: 'other', items: rest, other: true });
  return rows;
}

function groupBy<T>(items: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

function expected(ps: readonly Point[], range: TimeRange, maxGroups: number) {
  const b = timeBuckets(range);
  const bucket = (t: number) => Math.floor((t - b.start) / b.stepMs);
  const dist = (pairs: Array<[number, number]>) => {
    const per = Array.from({ length: b.count }, (_, i) =>
      pairs.filter(([t]) => bucket(t) === i).map(([, v]) => v),
    );
    return {
      overall: quantilesOf(pairs.map(([, v]) => v)),
      overTime: {
        count: per.map((vs) => vs.length),
        p50: per.map((vs) => rank(vs, 50) ?? null),
        p95: per.map((vs) => rank(vs, 95) ?? null),
        p99: per.map((vs) => rank(vs, 99) ?? null),
      },
    };
  };
  const heat = (pairs: Array<[number, number]>) => ({
    counts: Array.from({ length: b.count }, (_, i) => {
      const row = new Array(HEATMAP_BOUNDS_SECONDS.length + 1).fill(0);
      for (const [t, v] of pairs) if (bucket(t) === i) row[band(v)]++;
      return row;
    }),
  });
  const conns = ps.filter((p) => p.m === 'netbird_peer_connection' && 'total_seconds' in p.v);
  const logins = ps.filter((p) => p.m === 'netbird_login' && 'duration_seconds' in p.v);
  const tag = (p: Point, k: string) => p.tags[k] || 'unknown';
  const rows = <T>(groups: Map<string, T[]>, value: (items: T[]) => number | null) =>
    top(groups, maxGroups).map((g) => ({
      label: g.label,
      value: value(g.items),
      count: g.items.length,
      ...(g.other ? { other: true } : {}),
    }));
  const total = values(ps, 'netbird_peer_connection', 'total_seconds');
  const syncs = values(ps, 'netbird_sync', 'duration_seconds');
  const syncTotal = syncs.reduce((n, [, v]) => n + v, 0);
  const phases = ps.filter((p) => p.m === 'netbird_sync_phase' && 'duration_seconds' in p.v);
  const byPhase = groupBy(phases, (p) => tag(p, 'phase'));
  const known = SYNC_PHASES.filter((ph) => byPhase.has(ph)).map((ph) => ({
    label: ph as string,
    items: byPhase.get(ph) as Point[],
  }));
  const unknownGroups = new Map(
    [...byPhase].filter(([ph]) => !(SYNC_PHASES as readonly string[]).includes(ph)),
  );
  const unknownRows = top(unknownGroups, maxGroups);
  const otherRow = unknownRows.find((row) => row.other);
  const phaseRows = [
    ...known,
    ...unknownRows.filter((row) => !row.other).sort((x, y) => (x.label < y.label ? -1 : 1)),
    ...(otherRow ? [otherRow] : []),
  ];
  const seconds = (items: Point[]) => items.map((p) => p.v.duration_seconds as number);
  const sumPerBucket = (items: Array<[number, number]>) =>
    Array.from({ length: b.count }, (_, i) =>
      items.filter(([t]) => bucket(t) === i).reduce((n, [, v]) => n + v, 0),
    );
  const pairsOf = (items: Point[]): Array<[number, number]> =>
    items.map((p) => [p.t, p.v.duration_seconds as number]);
  return {
    buckets: b,
    extent:
      ps.length === 0
        ? null
        : { from: Math.min(...ps.map((p) => p.t)), to: Math.max(...ps.map((p) => p.t)) },
    distributions: {
      connectionTotal: dist(total),
      signalingToConnection: dist(
        values(ps, 'netbird_peer_connection', 'signaling_to_connection_seconds'),
      ),
      connectionToHandshake: dist(
        values(ps, 'netbird_peer_connection', 'connection_to_wg_handshake_seconds'),
      ),
      sync: dist(syncs),
      login: dist(values(ps, 'netbird_login', 'duration_seconds')),
    },
    heatmaps: { connectionTotal: heat(total), sync: heat(syncs) },
    breakdowns: {
      p95TotalByConnectionType: {
        unit: 'seconds',
        rows: rows(
          groupBy(conns, (p) => tag(p, 'connection_type')),
          (items) =>
            rank(
              items.map((p) => p.v.total_seconds as number),
              95,
            ) ?? null,
        ),
      },
      relayShareByOs: {
        unit: 'ratio',
        rows: rows(
          groupBy(conns, (p) => tag(p, 'os')),
          (items) => items.filter((p) => p.tags.connection_type === 'relay').length / items.length,
        ),
      },
      loginFailureRateByVersion: {
        unit: 'ratio',
        rows: rows(
          groupBy(logins, (p) => tag(p, 'version')),
          (items) => items.filter((p) => p.tags.result === 'failure').length / items.length,
        ),
      },
      connectionsByAttemptType: {
        unit: 'count',
        rows: rows(
          groupBy(conns, (p) => tag(p, 'attempt_type')),
          (items) => items.length,
        ),
      },
    },
    syncPhases: {
      rows: phaseRows.map((row) => ({
        phase: row.label,
        quantiles: quantilesOf(seconds(row.items)),
        totalSeconds: seconds(row.items).reduce((n, v) => n + v, 0),
        shareOfSync:
          syncTotal === 0 ? null : seconds(row.items).reduce((n, v) => n + v, 0) / syncTotal,
      })),
      secondsOverTime: phaseRows.map((row) => sumPerBucket(pairsOf(row.items))),
      syncTotalSeconds: syncTotal,
      syncSecondsOverTime: sumPerBucket(syncs),
    },
  };
}

/** Equal to the last few bits (sums of seconds added in another order); null only to null. */
function expectClose(actual: number | null | undefined, want: number | null, what: string): void {
  if (want === null) expect(actual, what).toBeNull();
  else expect(actual, what).toBeCloseTo(want, 9);
}

function expectAllClose(
  actual: readonly number[] | undefined,
  want: readonly number[],
  what: string,
): void {
  expect(actual?.length, what).toBe(want.length);
  for (let b = 0; b < want.length; b++)
    expectClose(actual?.[b], want[b] as number, `${what}[${b}]`);
}

/** Equal, sums of seconds to the last few bits (they are added in a different order). */
function expectInsights(actual: Insights, want: ReturnType<typeof expected>): void {
  const { syncPhases, ...rest } = want;
  expect(actual).toMatchObject(JSON.parse(JSON.stringify(rest)));
  // toMatchObject skips undefined on the expected side: compare the quantiles whole as well.
  for (const [name, d] of Object.entries(rest.distributions)) {
    expect(actual.distributions[name as keyof Insights['distributions']], name).toEqual(d);
  }
  expect(actual.breakdowns).toEqual(rest.breakdowns);
  expect(actual.syncPhases.rows.map((r) => r.phase)).toEqual(syncPhases.rows.map((r) => r.phase));
  syncPhases.rows.forEach((row, i) => {
    const got = actual.syncPhases.rows[i];
    expect(got?.quantiles, row.phase).toEqual(row.quantiles);
    expectClose(got?.totalSeconds, row.totalSeconds, `${row.phase} total`);
    expectClose(got?.shareOfSync, row.shareOfSync, `${row.phase} share`);
    expectAllClose(
      actual.syncPhases.secondsOverTime[i],
      syncPhases.secondsOverTime[i] ?? [],
      `${row.phase} over time`,
    );
  });
  expect(actual.syncPhases.secondsOverTime).toHaveLength(syncPhases.rows.length);
  expectClose(actual.syncPhases.syncTotalSeconds, syncPhases.syncTotalSeconds, 'sync total');
  expectAllClose(actual.syncPhases.syncSecondsOverTime, syncPhases.syncSecondsOverTime, 'sync');
}

const LIMITS = { maxPoints: 100, maxPairs: 1000, maxGroups: 4 };

const FILTERS: Filters[] = [
  {},
  { connection_type: 'relay' },
  { os: 'ios' },
  { os: 'linux', version: '0.61.0' },
  { deployment_type: 'cloud', attempt_type: 'initial' },
  { arch: 'arm64', connection_type: 'ice_p2p' },
  { version: 'no-such-version' },
];

describe('insights from samples', () => {
  const { samples, range } = fleet(6000, 1);

  for (const filters of FILTERS) {
    it(`equal the plain computation with filters ${JSON.stringify(filters)}`, () => {
      const data = computePanels(samples, range, LIMITS, filters);
      const ps = points(samples, range, filters);
      expect(data.range).toEqual(range);
      expect(data.insights.filters).toEqual(filters);
      expect(data.insights.truncated).toBeUndefined();
      expectInsights(data.insights, expected(ps, range, LIMITS.maxGroups));
    });
  }

  it('has "other" rows, "unknown" groups and unknown phases in the fixture (the cases exist)', () => {
    const { insights } = computePanels(samples, range, LIMITS);
    expect(insights.breakdowns.relayShareByOs.rows.at(-1)).toMatchObject({
      label: 'other',
      other: true,
    });
    expect(insights.breakdowns.loginFailureRateByVersion.rows).toHaveLength(5);
    const unknownOs = points(samples, range, {}).some(
      (p) => p.m === 'netbird_peer_connection' && p.tags.os === undefined,
    );
    expect(unknownOs).toBe(true);
    const phases = insights.syncPhases.rows.map((r) => r.phase);
    expect(phases.slice(0, SYNC_PHASES.length)).toEqual([...SYNC_PHASES]);
    expect(phases).toHaveLength(SYNC_PHASES.length + 4 + 1);
    expect(phases.at(-1)).toBe('other');
  });

  it('filter the eight classic panels as if the other samples were never stored', () => {
    for (const filters of FILTERS) {
      const kept = samples.filter((s) => {
        if (s.timestampNs === undefined) return true;
        const tags = MEASUREMENTS[s.measurement as keyof typeof MEASUREMENTS]
          .tags as readonly string[];
        return Object.entries(filters).every(([k, v]) => !tags.includes(k) || s.tags[k] === v);
      });
      const { insights: _a, ...filtered } = computePanels(samples, range, LIMITS, filters);
      const { insights: _b, ...plain } = computePanels(kept, range, LIMITS);
      expect(filtered, JSON.stringify(filters)).toEqual(plain);
    }
    // And a filter does change them.
    const relay = computePanels(samples, range, LIMITS, { connection_type: 'relay' });
    expect(relay.iceVsRelay.map((s) => s.label)).toEqual(['relay']);
  });

  it('are the same fed one sample at a time by the accumulator alone', () => {
    const filters = { os: 'darwin' };
    const acc = new InsightsAccumulator(
      range,
      { maxGroups: 4, maxTracked: 1000, maxValues: 1e6 },
      filters,
    );
    for (const s of samples) acc.add(s);
    expect(acc.result().insights).toEqual(computePanels(samples, range, LIMITS, filters).insights);
  });

  it('of no samples: zero counts, no percentiles, no extent', () => {
    const { insights } = computePanels([], range, LIMITS);
    expect(insights.extent).toBeNull();
    expect(insights.distributions.sync.overall).toEqual({
      count: 0,
      p50: undefined,
      p95: undefined,
      p99: undefined,
      max: undefined,
    });
    expect(insights.distributions.sync.overTime.count).toEqual(
      new Array(insights.buckets.count).fill(0),
    );
    expect(insights.breakdowns.relayShareByOs.rows).toEqual([]);
    expect(insights.syncPhases).toMatchObject({ rows: [], syncTotalSeconds: 0 }); // What a source without samples (or a page test) starts from is the same.
    expect(emptyInsights(range, { os: 'ios' })).toEqual(
      computePanels([], range, LIMITS, { os: 'ios' }).insights,
    );
  });

  it('share of sync is null without syncs; a lone phase still has its row', () => {
    const phase: Sample = {
      measurement: 'netbird_sync_phase',
      tags: { phase: 'checks' },
      fields: { duration_seconds: 0.5 },
      timestampNs: ns(NOW - 10),
    };
    const { insights } = computePanels([phase], range, LIMITS);
    expect(insights.syncPhases.rows).toEqual([
      {
        phase: 'checks',
        quantiles: { count: 1, p50: 0.5, p95: 0.5, p99: 0.5, max: 0.5 },
        totalSeconds: 0.5,
        shareOfSync: null,
      },
    ]);
  });
});

describe('a fit request', () => {
  // 30 minutes of data at the end of a day: the fitted range starts at its first sample's bucket.
  const day = { from: NOW - 24 * HOUR, to: NOW };
  const { samples } = fleet(3000, 2, 24 * HOUR, 23.5 * HOUR);

  it('narrows the range to the bucket of the first sample, at the narrowed range step', () => {
    const data = computePanels(samples, day, LIMITS, {}, true);
    const ps = points(samples, day, {});
    const first = Math.min(...ps.map((p) => p.t));
    const step = timeBuckets({ from: first, to: NOW }).stepMs;
    expect(step).toBeLessThan(timeBuckets(day).stepMs);
    expect(data.range).toEqual({ from: Math.floor(first / step) * step, to: NOW });
    expect(data.insights.buckets).toEqual(timeBuckets(data.range));
    expect(data.insights.buckets.stepMs).toBe(step);
    expectInsights(data.insights, expected(ps, data.range, LIMITS.maxGroups));
  });

  it('fits to the filtered samples, and an explicit range is never narrowed', () => {
    const filters = { os: 'ios' };
    const fitted = computePanels(samples, day, LIMITS, filters, true);
    const ps = points(samples, day, filters);
    expect(fitted.insights.extent?.from).toBe(Math.min(...ps.map((p) => p.t)));
    expectInsights(fitted.insights, expected(ps, fitted.range, LIMITS.maxGroups));
    expect(computePanels(samples, day, LIMITS, filters).range).toEqual(day);
  });

  it('keeps the range loaded when there is nothing to fit to, and never starts before it', () => {
    expect(computePanels([], day, LIMITS, {}, true).range).toEqual(day);
    const early = [{ ...(samples[0] as Sample), timestampNs: ns(day.from + 1) }];
    expect(computePanels(early, day, LIMITS, {}, true).range).toEqual(day);
  });
});

describe('the bounds', () => {
  const { samples, range } = fleet(4000, 3);
  const exact = computePanels(samples, range, LIMITS);
  const held = (d: Insights) =>
    Object.values(d.distributions).reduce((n, x) => n + x.overall.count, 0) +
    d.syncPhases.rows.reduce((n, r) => n + r.quantiles.count, 0);

  it('are exact up to maxValues values, and say so past it', () => {
    const n = held(exact.insights);
    const atBound = computePanels(samples, range, { ...LIMITS, maxValues: n });
    expect(atBound.insights.truncated).toBeUndefined();
    expect(atBound).toEqual(exact);
    const past = computePanels(samples, range, { ...LIMITS, maxValues: n - 1 });
    expect(past.insights.truncated).toEqual([
      expect.stringMatching(
        /^percentiles are estimates from a uniform sample of \d+ of \d+ durations/,
      ),
    ]);
  });

  it('past maxValues, keep counts, maxima, sums, shares and heatmaps exact; percentiles are kept values', () => {
    for (const fit of [false, true]) {
      const want = computePanels(samples, range, LIMITS, {}, fit).insights;
      const got = computePanels(samples, range, { ...LIMITS, maxValues: 120 }, {}, fit).insights;
      expect(got.truncated).toHaveLength(1);
      expect(got.heatmaps).toEqual(want.heatmaps);
      expect(got.extent).toEqual(want.extent);
      for (const [name, d] of Object.entries(want.distributions)) {
        const g = got.distributions[name as keyof Insights['distributions']];
        expect(g.overall.count, name).toBe(d.overall.count);
        expect(g.overall.max, name).toBe(d.overall.max);
        expect(g.overTime.count, name).toEqual(d.overTime.count);
      }
      want.syncPhases.rows.forEach((row, i) => {
        const g = got.syncPhases.rows[i];
        expect(g?.phase).toBe(row.phase);
        expect(g?.quantiles.count).toBe(row.quantiles.count);
        expect(g?.quantiles.max).toBe(row.quantiles.max);
        expect(g?.totalSeconds).toBe(row.totalSeconds);
        expect(g?.shareOfSync).toBe(row.shareOfSync);
        expectAllClose(
          got.syncPhases.secondsOverTime[i],
          want.syncPhases.secondsOverTime[i] ?? [],
          row.phase,
        );
      });
      expectAllClose(
        got.syncPhases.syncSecondsOverTime,
        want.syncPhases.syncSecondsOverTime,
        'sync',
      );
      for (const [name, b] of Object.entries(want.breakdowns)) {
        const g = got.breakdowns[name as keyof Insights['breakdowns']];
        expect(
          g.rows.map((r) => [r.label, r.count]),
          name,
        ).toEqual(b.rows.map((r) => [r.label, r.count]));
        if (b.unit !== 'seconds') expect(g.rows, name).toEqual(b.rows);
      }
      // Estimates are durations some sample really had.
      const all = new Set(samples.flatMap((s) => Object.values(s.fields)));
      const total = got.distributions.connectionTotal.overall;
      for (const v of [total.p50, total.p95, total.p99]) expect(all.has(v as number)).toBe(true);
    }
  });

  it('past maxValues, estimate from a uniform sample (the median of uniform values stays close)', () => {
    const uniform: Sample[] = Array.from({ length: 20_000 }, (_, i) => ({
      measurement: 'netbird_sync',
      tags: {},
      fields: { duration_seconds: ((i * 7919) % 20_000) / 1000 },
      timestampNs: ns(NOW - HOUR + Math.floor((i * HOUR) / 20_000)),
    }));
    const got = computePanels(uniform, range, { ...LIMITS, maxValues: 1000 }).insights;
    const sync = got.distributions.sync.overall;
    expect(sync.count).toBe(20_000);
    expect(sync.max).toBe(19.999);
    expect(sync.p50).toBeGreaterThan(9);
    expect(sync.p50).toBeLessThan(11);
    expect(sync.p99).toBeGreaterThan(19.4);
    // The same samples give the same estimates.
    expect(computePanels(uniform, range, { ...LIMITS, maxValues: 1000 }).insights).toEqual(got);
  });

  it('bound labels per tag by maxTrackedLabels, and say how many samples went to "other"', () => {
    const many: Sample[] = Array.from({ length: 30 }, (_, i) => ({
      measurement: 'netbird_peer_connection',
      tags: { os: `os${String(i).padStart(2, '0')}`, connection_type: 'relay' },
      fields: { total_seconds: i + 1 },
      timestampNs: ns(NOW - 1000 + i),
    }));
    const got = computePanels(many, range, { ...LIMITS, maxTrackedLabels: 10 }).insights;
    const rows = got.breakdowns.relayShareByOs.rows;
    expect(rows).toHaveLength(LIMITS.maxGroups + 1);
    expect(rows.at(-1)).toEqual({ label: 'other', value: 1, count: 26, other: true });
    expect(got.truncated).toEqual([
      'os: 20 samples of labels past the 10-label bound are counted under "other"',
    ]);
  });

  it('show at most maxGroups rows plus "other"', () => {
    for (const maxGroups of [1, 2, 8]) {
      const got = computePanels(samples, range, { ...LIMITS, maxGroups }).insights;
      for (const b of Object.values(got.breakdowns)) {
        expect(b.rows.length).toBeLessThanOrEqual(maxGroups + 1);
        expect(b.rows.filter((r) => r.other)).toHaveLength(b.rows.length > maxGroups ? 1 : 0);
      }
      const unknown = got.syncPhases.rows.filter(
        (r) => !(SYNC_PHASES as readonly string[]).includes(r.phase),
      );
      expect(unknown.length).toBeLessThanOrEqual(maxGroups + 1);
      expectInsights(got, expected(points(samples, range, {}), range, maxGroups));
    }
  });

  it('refuse limits below 1', () => {
    expect(() => computePanels([], range, { ...LIMITS, maxValues: 0 })).toThrow(RangeError);
  });
});

describe('the pieces behind the bounds', () => {
  it('a value series keeps every value until limited, then a uniform sample of that size', () => {
    const series = new ValueSeries();
    for (let i = 0; i < 10_000; i++) series.add(i, i / 10, i % 3);
    expect([series.length, series.seen, series.sampled, series.max]).toEqual([
      10_000,
      10_000,
      false,
      999.9,
    ]);
    expect(Array.from(series.values.subarray(0, 3))).toEqual([0, 0.1, 0.2]);
    series.limit(1000);
    for (let i = 10_000; i < 20_000; i++) series.add(i, i / 10, i % 3);
    expect([series.length, series.seen, series.sampled, series.max]).toEqual([
      1000,
      20_000,
      true,
      1999.9,
    ]);
    // Each kept value is one offered, with its own time and group, and each half of the input
    // is about equally represented.
    const times = Array.from(series.times);
    expect(new Set(times).size).toBe(1000);
    series.values.forEach((v, i) => {
      expect(v).toBe((times[i] as number) / 10);
      expect(series.groups[i]).toBe((times[i] as number) % 3);
    });
    const early = times.filter((t) => t < 10_000).length;
    expect(early).toBeGreaterThan(420);
    expect(early).toBeLessThan(580);
  });

  it('per-bucket tallies equal plain counts at every step a fitted range can have', () => {
    const day = { from: NOW - 24 * HOUR + 1234, to: NOW };
    const r = seededRandom(9);
    // Skewed towards the end, so even the finest steps' buckets hold samples.
    const times = Array.from(
      { length: 5000 },
      () => day.to - Math.floor(r() ** 6 * (day.to - day.from)),
    );
    const tallies = new StepTallies(day, 2);
    for (const t of times) tallies.add(t, t % 2, 1);
    let steps = 0;
    for (const span of [24 * HOUR, 6 * HOUR, HOUR, 600_000, 60_000, 30_000, 10_000]) {
      const range = { from: NOW - span, to: NOW };
      const b = timeBuckets(range);
      const plain = Array.from({ length: b.count }, (_, i) => {
        const row = [0, 0];
        for (const t of times) {
          if (Math.floor((t - b.start) / b.stepMs) === i) row[t % 2] = (row[t % 2] as number) + 1;
        }
        return row;
      });
      expect(tallies.rows(b), String(span)).toEqual(plain);
      expect(
        plain.flat().reduce((n, c) => n + c, 0),
        String(span),
      ).toBeGreaterThan(10);
      steps++;
    }
    expect(steps).toBe(7);
  });

  it('label ids: known labels first, at most maxTracked others, the rest counted together', () => {
    const ids = new LabelIds(2, ['checks', 'persist']);
    expect([ids.idOf('checks'), ids.idOf('persist'), ids.idOf('new'), ids.idOf(undefined)]).toEqual(
      [0, 1, 2, 3],
    );
    expect(ids.idOf('')).toBe(3);
    expect(ids.labels).toEqual(['checks', 'persist', 'new', 'unknown']);
    expect([ids.idOf('x'), ids.idOf('y'), ids.idOf('x')]).toEqual([4, 4, 4]);
    expect(ids.untracked).toBe(4);
    expect(ids.untrackedSamples).toBe(3);
    expect(() => new LabelIds(0)).toThrow(RangeError);
  });
});

describe('percentiles by selection', () => {
  const shapes = fc.oneof(
    fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { maxLength: 300 }),
    fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 300 }),
    fc.integer({ min: 0, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => i)),
    fc.integer({ min: 0, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => n - i)),
    fc
      .integer({ min: 0, max: 400 })
      .map((n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i))),
  );

  it('equal percentile() of the sorted values, for every rank and input shape (property)', () => {
    const p = fc.oneof(
      fc.constantFrom(0, 0.5, 1, 50, 95, 99, 99.9, 100),
      fc.double({ min: 0, max: 100, noNaN: true }),
    );
    fc.assert(
      fc.property(shapes, fc.array(p, { minLength: 1, maxLength: 5 }), (values, ps) => {
        const sorted = Float64Array.from(values).sort();
        expect(nearestRanks(Float64Array.from(values), ps)).toEqual(
          ps.map((q) => percentile(sorted, q)),
        );
      }),
      { numRuns: 500 },
    );
    expect(nearestRanks(new Float64Array([1, 2]), [-1, 101, Number.NaN])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('fall back to sorting when partitions go badly, with the same answer', () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 0, max: 3 }), fc.nat(), (values, rounds, at) => {
        fc.pre(values.length > 0);
        const k = at % values.length;
        const sorted = Float64Array.from(values).sort();
        const a = Float64Array.from(values);
        expect(selectKth(a, k, 0, a.length - 1, rounds)).toBe(sorted[k]);
        for (let i = 0; i < a.length; i++) {
          if (i < k) expect(a[i]).toBeLessThanOrEqual(sorted[k] as number);
          if (i > k) expect(a[i]).toBeGreaterThanOrEqual(sorted[k] as number);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the samples source', () => {
  const { samples, range } = fleet(2000, 4);

  it('loads what computePanels computes, with the filters and the fit', async () => {
    const source = samplesSource('memory', () => samples);
    for (const [filters, fit] of [
      [{}, false],
      [{ os: 'ios' }, true],
      [{ connection_type: 'relay', version: '0.61.0' }, false],
    ] as const) {
      const loaded = await source.load(range, LIMITS, undefined, filters, fit);
      expect(loaded).toEqual(computePanels(samples, range, LIMITS, filters, fit));
    }
  });

  it('stops in the result too, when the request goes away once the scan is done', async () => {
    const controller = new AbortController();
    function* read() {
      yield* samples;
      // Runs before the first turn the result gives the event loop.
      setImmediate(() => controller.abort(new Error('gone')));
    }
    const load = samplesSource('memory', read).load(range, LIMITS, controller.signal);
    await expect(load).rejects.toThrow('gone');
  });
});

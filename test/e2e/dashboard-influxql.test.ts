// The built-in dashboard reading InfluxDB 1.6 through InfluxQL must show what it computes from
// the same samples in memory (the embedded-store path).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Filters } from '../../src/ingest/dashboard/filters.js';
import {
  InfluxqlError,
  influxqlSource,
  runInfluxql,
} from '../../src/ingest/dashboard/influxql-source.js';
import {
  computePanels,
  type DashboardData,
  DEFAULT_PANEL_LIMITS,
  type PlotPoint,
} from '../../src/ingest/dashboard/panels.js';
import type { Sample } from '../../src/protocol/schema.js';
import { influxCreateDatabase, influxWrite, uniqueName } from '../helpers/backend-clients.js';
import { craftedSamples } from '../helpers/dashboard-fixture.js';
import { type DemoData, lineProtocol, recordDemoFleet } from '../helpers/demo-data.js';
import { filterSamples, fittedRange, referenceInsights } from '../helpers/reference-insights.js';

const url = inject('influxdbUrl');
let db: string;
let demo: DemoData;

beforeAll(async () => {
  db = uniqueName('dashboard');
  await influxCreateDatabase(url, db);
  demo = recordDemoFleet({ peers: 80, seed: 7, windowMs: 30 * 60_000 });
  await influxWrite(url, db, lineProtocol(demo.samples), 'n');
});

const byTimeValue = (a: PlotPoint, b: PlotPoint) => a.t - b.t || a.v - b.v;
const sorted = (points: readonly PlotPoint[]) => [...points].sort(byTimeValue);

function expectSameDashboard(actual: DashboardData, expected: DashboardData): void {
  expect(actual.syncDurationExtremes).toEqual(expected.syncDurationExtremes);
  expect(actual.totalConnectionTimeExtremes).toEqual(expected.totalConnectionTimeExtremes);
  expect(actual.iceVsRelay).toEqual(expected.iceVsRelay);
  expect(actual.loginSuccessVsFailure).toEqual(expected.loginSuccessVsFailure);
  actual.connectionStageDurations.forEach((bar, i) => {
    const want = expected.connectionStageDurations[i];
    expect(bar.label).toBe(want?.label);
    expect(bar.count).toBe(want?.count);
    if (want?.value === undefined) expect(bar.value).toBeUndefined();
    else expect(bar.value).toBeCloseTo(want.value, 9);
  });
  for (const key of ['syncDuration', 'totalConnectionTime', 'loginDuration'] as const) {
    expect(actual[key].total, key).toBe(expected[key].total);
    expect(sorted(actual[key].points), key).toEqual(sorted(expected[key].points));
  }
}

describe('dashboard from InfluxDB 1.6 via InfluxQL', () => {
  it('shows the same panels as the embedded computation on demo data', async () => {
    const range = { from: demo.from, to: demo.to };
    const source = influxqlSource({ url, database: db });
    const actual = await source.load(range);
    const expected = computePanels(demo.samples, range);
    // The demo has pairs that changed type on reconnection, so "last per pair" is exercised.
    const types = new Map<string, Set<string>>();
    for (const s of demo.samples) {
      const pair = s.tags.connection_pair_id;
      if (s.measurement !== 'netbird_peer_connection' || pair === undefined) continue;
      types.set(pair, (types.get(pair) ?? new Set()).add(s.tags.connection_type ?? ''));
    }
    expect([...types.values()].some((t) => t.size > 1)).toBe(true);
    expect(expected.syncDuration.total).toBeGreaterThan(100);
    expectSameDashboard(actual, expected);
    expect(source.description).toContain(db);
  });

  it('follows the range: a sub-window shows only its samples', async () => {
    const range = { from: demo.from + 10 * 60_000, to: demo.from + 20 * 60_000 };
    const actual = await influxqlSource({ url, database: db }).load(range);
    const expected = computePanels(demo.samples, range);
    expect(expected.totalConnectionTime.total).toBeGreaterThan(0);
    expect(expected.totalConnectionTime.total).toBeLessThan(
      computePanels(demo.samples, { from: demo.from, to: demo.to }).totalConnectionTime.total,
    );
    expectSameDashboard(actual, expected);
  });

  it('bounds the point plots to the most recent points and keeps the counts exact', async () => {
    const range = { from: demo.from, to: demo.to };
    const limits = { maxPoints: 25, maxPairs: 1000 };
    const actual = await influxqlSource({ url, database: db }).load(range, limits);
    const full = computePanels(demo.samples, range);
    for (const key of ['syncDuration', 'totalConnectionTime', 'loginDuration'] as const) {
      expect(actual[key].points, key).toHaveLength(25);
      expect(actual[key].total, key).toBe(full[key].total);
      expect(actual[key].selection).toBe('most recent');
      const all = sorted(full[key].points);
      expect(
        sorted(actual[key].points).map((p) => p.t),
        key,
      ).toEqual(all.slice(all.length - 25).map((p) => p.t));
    }
    expect(actual.syncDurationExtremes).toEqual(full.syncDurationExtremes);
  });

  it('stays small and whole however many distinct results the database holds', async () => {
    // Written by someone else, or before the ingest refused such values: 3000 distinct results.
    const many = uniqueName('dashboard_many');
    await influxCreateDatabase(url, many);
    const t0 = demo.from;
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(
        `netbird_login,result=r${i}\u202e duration_seconds=${1 + (i % 7)} ${t0 + i}000000`,
      );
    }
    for (let i = 0; i < 40; i++) {
      lines.push(`netbird_login,result=success duration_seconds=1 ${t0 + 5000 + i}000000`);
      if (i % 4 === 0)
        lines.push(`netbird_login,result=failure duration_seconds=2 ${t0 + 6000 + i}000000`);
    }
    for (let i = 0; i < 5; i++)
      lines.push(`netbird_login,result=busy duration_seconds=3 ${t0 + 7000 + i}000000`);
    await influxWrite(url, many, `${lines.join('\n')}\n`, 'n');
    // The Grafana-style grouped queries answer one series per result: far past this bound.
    const source = influxqlSource({ url, database: many, maxResponseBytes: 64 * 1024 });
    const data = await source.load(
      { from: demo.from, to: demo.to },
      { maxPoints: 100, maxPairs: 10 },
    );
    const slices = data.loginSuccessVsFailure;
    expect(slices.slice(0, 3)).toEqual([
      { label: 'success', count: 40 },
      { label: 'failure', count: 10 },
      { label: 'busy', count: 5 },
    ]);
    expect(slices.length).toBeLessThanOrEqual(9);
    expect(slices.at(-1)).toMatchObject({ label: 'other', other: true });
    expect(slices.reduce((n, x) => n + x.count, 0)).toBe(3055);
    expect(data.loginDuration.total).toBe(3055);
    expect(data.loginDuration.points).toHaveLength(100);
    const shown = new Set(slices.map((x) => x.label));
    for (const p of data.loginDuration.points) expect(shown.has(p.group ?? '')).toBe(true);
    expect(JSON.stringify(data)).not.toContain('\u202e');
  });

  it('reports InfluxDB errors with the failing statement', async () => {
    await expect(
      runInfluxql({ url, database: db }, ['SELECT nonsense FROM WHERE']),
    ).rejects.toThrow(/error parsing query|found WHERE/);
    await expect(
      influxqlSource({ url, database: uniqueName('missing') }).load({ from: 0, to: 1 }),
    ).rejects.toThrow(/database not found/);
  });

  it('bounds the response it reads', async () => {
    const error = await influxqlSource({ url, database: db, maxResponseBytes: 1000 })
      .load({ from: demo.from, to: demo.to })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfluxqlError);
    expect(String(error)).toContain('larger than 1000 bytes');
  });

  it('gives up on an InfluxDB that does not answer, after the timeout', async () => {
    // A fault a real server will not produce on demand: accept the request, never answer.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const error = await influxqlSource({
        url: `http://127.0.0.1:${port}`,
        database: db,
        timeoutMs: 300,
      })
        .load({ from: 0, to: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfluxqlError);
      expect(String(error)).toMatch(/timeout|aborted/i);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('shows the other panels when the queries of one measurement run out of time', async () => {
    // A fault a real server gives only under load: the login queries over a hundred thousand
    // results answer too late (here: never), the others at once.
    const partial = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      req.on('end', () => {
        const statements = (new URLSearchParams(body).get('q') ?? '').split(';\n');
        if (statements.some((q) => q.includes('top('))) return;
        const results = statements.map((q, i) => ({
          statement_id: i,
          series: q.includes('"result" = \'success\'')
            ? [
                {
                  name: 'netbird_login',
                  tags: { result: 'success' },
                  columns: ['time', 'logins'],
                  values: [[0, 12]],
                },
              ]
            : q.includes('FROM "netbird_sync"') && q.includes('count(')
              ? [{ name: 'netbird_sync', columns: ['time', 'n'], values: [[0, 3]] }]
              : [],
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((resolve) => partial.listen(0, '127.0.0.1', resolve));
    const { port } = partial.address() as AddressInfo;
    try {
      const data = await influxqlSource({
        url: `http://127.0.0.1:${port}`,
        database: 'netbird',
        timeoutMs: 300,
      }).load({ from: 0, to: 1 });
      expect(data.syncDurationExtremes.count).toBe(3);
      expect(data.loginSuccessVsFailure).toEqual([{ label: 'success', count: 12 }]);
      expect(data.truncated).toMatch(
        /login points and other results could not be read: .*timeout/i,
      );
      // The breakdowns' counts use top() too: the insights say which of their views is missing,
      // and only those (the percentiles and heatmaps answered).
      expect(data.insights.truncated).toEqual([
        expect.stringMatching(/^breakdowns and sync phases could not be read: .*timeout/i),
      ]);
      expect(data.insights.breakdowns.relayShareByOs.rows).toEqual([]);
    } finally {
      partial.closeAllConnections();
      await new Promise<void>((resolve) => partial.close(() => resolve()));
    }
  });

  it('fails clearly when InfluxDB cannot be reached', async () => {
    const error = await influxqlSource({ url: 'http://127.0.0.1:9', database: db, timeoutMs: 2000 })
      .load({ from: 0, to: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfluxqlError);
    expect(String(error)).toContain('http://127.0.0.1:9/query');
  });
});

// The operator views (percentiles, heatmaps, breakdowns, sync phases) computed by InfluxDB must
// equal both the embedded computation and the plain reference over the same samples, filters
// included. Percentiles and counts are exact (a percentile is a stored sample); sums of seconds
// are compared to 1e-12 relative, since InfluxDB adds them in its own order.

/** Groups shown on their own: small, so ties at the limit and "other" are exercised. */
const GROUPS = 2;
const DAY_MS = 86_400_000;

/** Line protocol as any writer may send it: tag values kept as they are (quotes, backslashes). */
function rawLine(s: Sample): string {
  const tags = Object.entries(s.tags).map(([k, v]) => `,${k}=${v}`);
  const fields = Object.entries(s.fields).map(([k, v]) => `${k}=${v}`);
  return `${s.measurement}${tags.join('')} ${fields.join(',')} ${s.timestampNs}\n`;
}

/**
 * Samples no client of ours writes but a database may hold: os values with a quote and a
 * backslash, a stored "unknown" beside samples without the tag, four os values tied at the
 * group limit, phases without a name or named "unknown".
 */
function edgeSamples(t0: number): Sample[] {
  const ns = (ms: number) => BigInt(t0 + ms) * 1_000_000n;
  const oses = ["it's", "it's", 'back\\slash', 'back\\slash', 'zz', 'zz', 'aa', 'aa', 'unknown'];
  const out: Sample[] = [...oses, undefined].map((os, i) => ({
    measurement: 'netbird_peer_connection',
    tags: {
      deployment_type: 'cloud',
      connection_type:
        i === 4 ? 'quic_direct' : i === 7 ? 'wss_relay' : i % 3 === 0 ? 'relay' : 'ice_p2p',
      attempt_type: 'initial',
      version: '0.61.0',
      ...(os === undefined ? {} : { os }),
      arch: 'amd64',
      connection_pair_id: `${i}`.padStart(16, 'b'),
    },
    fields: {
      connection_to_wg_handshake_seconds: 0,
      signaling_to_connection_seconds: i / 8,
      total_seconds: 0.25 * (i + 1),
    },
    timestampNs: ns(1000 * i),
  }));
  const phases = [undefined, 'unknown', 'omega', 'omega', 'checks'];
  phases.forEach((phase, i) => {
    out.push({
      measurement: 'netbird_sync_phase',
      tags: {
        deployment_type: 'cloud',
        version: '0.61.0',
        os: "it's",
        ...(phase ? { phase } : {}),
      },
      fields: { duration_seconds: 0.125 * (i + 1) },
      timestampNs: ns(20_000 + 1000 * i),
    });
  });
  out.push({
    measurement: 'netbird_sync',
    tags: { deployment_type: 'cloud', version: '0.61.0', os: "it's" },
    fields: { duration_seconds: 3 },
    timestampNs: ns(30_000),
  });
  return out;
}

const SUM_KEYS = new Set(['totalSeconds', 'shareOfSync', 'syncTotalSeconds']);
const SUM_ROWS = new Set(['secondsOverTime', 'syncSecondsOverTime']);

/** The insights with every sum of seconds taken out (into `sums`), the rest left to toEqual. */
function splitSums(value: unknown, sums: number[], key = ''): unknown {
  if (SUM_KEYS.has(key) && (typeof value === 'number' || value === null)) {
    sums.push(value ?? Number.NaN);
    return 'sum';
  }
  if (SUM_ROWS.has(key) && Array.isArray(value)) {
    sums.push(...(value.flat(2) as number[]));
    return 'sums';
  }
  if (Array.isArray(value)) return value.map((v) => splitSums(v, sums));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, splitSums(v, sums, k)]),
    );
  }
  return value;
}

function expectSameInsights(actual: unknown, expected: unknown, what: string): void {
  const a: number[] = [];
  const e: number[] = [];
  expect(splitSums(actual, a), what).toEqual(splitSums(expected, e));
  expect(a.length, what).toBe(e.length);
  a.forEach((x, i) => {
    const want = e[i] as number;
    if (Number.isNaN(want)) expect(x, what).toBeNaN();
    else
      expect(Math.abs(x - want), `${what}: sum ${i}`).toBeLessThanOrEqual(
        1e-12 * Math.max(1, Math.abs(want)),
      );
  });
}

describe('operator views from InfluxDB 1.6 via InfluxQL', () => {
  let insightsDb: string;
  let samples: Sample[];
  let crafted: { from: number; to: number };
  let edges: { from: number; to: number };
  const limits = { ...DEFAULT_PANEL_LIMITS, maxGroups: GROUPS };
  const source = () => influxqlSource({ url, database: insightsDb });

  beforeAll(async () => {
    insightsDb = uniqueName('dashboard_insights');
    await influxCreateDatabase(url, insightsDb);
    const t0 = Math.floor((demo.from - 2 * DAY_MS) / 60_000) * 60_000;
    const e0 = t0 - DAY_MS;
    samples = [...demo.samples, ...craftedSamples(t0), ...edgeSamples(e0)];
    crafted = { from: t0, to: t0 + 10 * 60_000 };
    edges = { from: e0, to: e0 + 60_000 };
    await influxWrite(url, insightsDb, samples.map(rawLine).join(''), 'n');
  });

  /** Loads from InfluxDB and holds every number against both other computations. */
  async function expectAllAgree(range: { from: number; to: number }, filters: Filters) {
    const actual = await source().load(range, limits, undefined, filters);
    const embedded = computePanels(samples, range, limits, filters);
    const reference = referenceInsights(samples, range, filters, GROUPS);
    const what = JSON.stringify(filters);
    expectSameInsights(actual.insights, embedded.insights, `${what} vs embedded`);
    expectSameInsights(actual.insights, reference, `${what} vs reference`);
    // The eight classic panels obey the filters too.
    expectSameDashboard(actual, embedded);
    expectSameDashboard(
      actual,
      computePanels(filterSamples(samples, range, filters), range, limits),
    );
    expect(actual.range).toEqual(range);
    expect(actual.insights.truncated).toBeUndefined();
    return actual;
  }

  it('match on the demo fleet, unfiltered', async () => {
    const actual = await expectAllAgree({ from: demo.from, to: demo.to }, {});
    const { insights } = actual;
    // Enough data that every view has something to compare.
    expect(insights.distributions.connectionTotal.overall.count).toBeGreaterThan(100);
    expect(insights.distributions.connectionToHandshake.overall.p50).toBe(0);
    expect(insights.breakdowns.relayShareByOs.rows.at(-1)).toMatchObject({ other: true });
    expect(insights.syncPhases.rows.length).toBeGreaterThan(5);
    expect(insights.heatmaps.sync.counts.flat().reduce((n, c) => n + c, 0)).toBe(
      insights.distributions.sync.overall.count,
    );
  });

  it('match on the demo fleet with filters on each tag', async () => {
    const connection = demo.samples.find((s) => s.measurement === 'netbird_peer_connection');
    const { os, version, arch } = connection?.tags ?? {};
    const range = { from: demo.from, to: demo.to };
    for (const filters of [
      { connection_type: 'relay' },
      { attempt_type: 'reconnection', deployment_type: 'cloud' },
      { os, version },
      { arch, connection_type: 'ice_p2p' },
      { version: 'no such version' },
    ] as Filters[]) {
      await expectAllAgree(range, filters);
    }
  });

  it('match on groups that tie at the limit, lack tags, use unknown phases and sit on edges', async () => {
    const actual = await expectAllAgree(crafted, {});
    const versions = actual.insights.breakdowns.loginFailureRateByVersion.rows;
    // 0.61.0 and 0.62.0 tie at two logins for the second row: byte order decides.
    expect(versions.map((r) => r.label)).toEqual(['0.59.12', '0.61.0', 'other']);
    await expectAllAgree(crafted, { os: 'linux' });
    await expectAllAgree(crafted, { deployment_type: 'selfhosted', version: '0.60.8' });
  });

  it('match on tag values with quotes and backslashes, a stored "unknown" and ties of four', async () => {
    const actual = await expectAllAgree(edges, {});
    const byOs = actual.insights.breakdowns.relayShareByOs.rows;
    expect(byOs.map((r) => [r.label, r.count])).toEqual([
      ['aa', 2],
      ['back\\slash', 2],
      ['other', 6],
    ]);
    const phases = actual.insights.syncPhases.rows.map((r) => [r.phase, r.quantiles.count]);
    expect(phases).toEqual([
      ['checks', 1],
      ['omega', 2],
      ['unknown', 2],
    ]);
    for (const os of ["it's", 'back\\slash', 'unknown']) {
      const filtered = await expectAllAgree(edges, { os });
      expect(filtered.insights.distributions.connectionTotal.overall.count).toBeGreaterThan(0);
    }
    // A value no sample has, with every character InfluxQL would read specially.
    await expectAllAgree(edges, { os: "x' OR '1'='1\\\n;" });
  });

  it('label pairs of connection types beyond the known ones, and say when a bound cut them', async () => {
    const data = await source().load(edges, limits);
    const types = data.iceVsRelay;
    expect(types).toEqual(computePanels(samples, edges, limits).iceVsRelay);
    const pairs = types.reduce((n, slice) => n + slice.count, 0);
    // Two pair types to label, room for one: the other is counted, under "other".
    const bounded = await source().load(edges, { ...limits, maxGroups: 8, maxTrackedLabels: 1 });
    expect(bounded.iceVsRelay.reduce((n, slice) => n + slice.count, 0)).toBe(pairs);
    expect(bounded.iceVsRelay.find((s) => s.other)?.count).toBe(1);
    expect(bounded.truncated).toBe(
      'ICE vs Relay: 1 pairs of other connection types are counted as "other"',
    );
  });

  it('fit a request without a range to the data, from the bucket of the first sample', async () => {
    const preset = { from: demo.to + 60_000 - DAY_MS, to: demo.to + 60_000 };
    for (const filters of [{}, { connection_type: 'relay' }] as Filters[]) {
      const actual = await source().load(preset, limits, undefined, filters, true);
      const fitted = fittedRange(samples, preset, filters);
      expect(fitted.from).toBeGreaterThan(preset.from);
      expect(actual.range).toEqual(fitted);
      const embedded = computePanels(samples, preset, limits, filters, true);
      expect(embedded.range).toEqual(fitted);
      expectSameInsights(actual.insights, embedded.insights, 'fit vs embedded');
      expectSameInsights(
        actual.insights,
        referenceInsights(samples, fitted, filters, GROUPS),
        'fit vs reference',
      );
      expectSameDashboard(actual, embedded);
    }
    // Without any sample in the preset, the preset itself.
    const empty = { from: demo.to + DAY_MS, to: demo.to + 2 * DAY_MS };
    const none = await source().load(empty, limits, undefined, {}, true);
    expect(none.range).toEqual(empty);
    expect(none.insights.extent).toBeNull();
    expectSameInsights(none.insights, referenceInsights(samples, empty, {}, GROUPS), 'empty');
  });

  it('stay small however many distinct values a grouped tag has', async () => {
    const many = uniqueName('dashboard_versions');
    await influxCreateDatabase(url, many);
    const t0 = demo.from;
    const logins: Sample[] = [];
    for (let i = 0; i < 3000; i++) {
      logins.push({
        measurement: 'netbird_login',
        tags: { result: i % 5 === 0 ? 'failure' : 'success', version: `0.${i % 1500}.${i}` },
        fields: { duration_seconds: 1 + (i % 7) },
        timestampNs: BigInt(t0 + i) * 1_000_000n,
      });
    }
    for (let i = 0; i < 6; i++) {
      logins.push({
        measurement: 'netbird_login',
        tags: { result: 'failure', version: i < 3 ? '9.9.9' : '1.0.0' },
        fields: { duration_seconds: 2 },
        timestampNs: BigInt(t0 + 5000 + i) * 1_000_000n,
      });
    }
    await influxWrite(url, many, logins.map(rawLine).join(''), 'n');
    const range = { from: demo.from, to: demo.to };
    const data = await influxqlSource({ url, database: many, maxResponseBytes: 64 * 1024 }).load(
      range,
      { maxPoints: 100, maxPairs: 10, maxGroups: 8 },
    );
    const rows = data.insights.breakdowns.loginFailureRateByVersion.rows;
    expect(rows).toEqual(
      referenceInsights(logins, range, {}, 8).breakdowns.loginFailureRateByVersion.rows,
    );
    // Two of three failed, then every single-login version ties: byte order picks the first six.
    expect(rows.map((r) => r.label).slice(0, 3)).toEqual(['1.0.0', '9.9.9', '0.0.0']);
    expect(rows).toHaveLength(9);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(3006);
  });
});

// `/dashboard/data.json` of a real ingest, filled through the push path, from its embedded store
// and from InfluxDB through InfluxQL, against an independent computation from the samples
// pushed: every percentile (over the range and per bucket), heatmap cell, breakdown row (the
// groups past the limit merged into "other"), sync phase and share, the extent and the effective
// range, with no filter, each filter, combinations, and the fit default; past the value bound,
// what stays exact; and bad filters refused with the reason.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  computePanels,
  type DashboardData,
  DEFAULT_PANEL_LIMITS,
} from '../../src/ingest/dashboard/panels.js';
import { influxCreateDatabase, uniqueName } from '../helpers/backend-clients.js';
import {
  type DashboardFixture,
  type DashboardStore,
  MAX_GROUPS,
  ODD_VERSION,
  startDashboardFixture,
} from '../helpers/dashboard-fixture.js';
import {
  filterSamples,
  fittedRange,
  type Point,
  type Range,
  type RefFilters,
  type RefInsights,
  referenceInsights,
  selectPoints,
} from '../helpers/reference-insights.js';

const DAY_MS = 86_400_000;

let fx: DashboardFixture;

/** Both sources: the embedded store's samples, and InfluxDB 1.6 through InfluxQL. */
const STORES: ReadonlyArray<readonly [string, RegExp, () => Promise<DashboardStore>]> = [
  ['embedded store', /^embedded store/, async () => ({ kind: 'embedded' })],
  [
    'InfluxDB through InfluxQL',
    /^InfluxDB /,
    async () => {
      const influx = inject('influxdbUrl');
      const db = uniqueName('dash_insights');
      await influxCreateDatabase(influx, db);
      return { kind: 'influxdb', writeUrl: `${influx}/write?db=${db}&precision=ns` };
    },
  ],
];

type Body = DashboardData & { source: string };

async function get(query: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${fx.ingest.url}/dashboard/data.json${query ? `?${query}` : ''}`);
  return { status: res.status, text: await res.text() };
}

async function data(query: string): Promise<Body> {
  const { status, text } = await get(query);
  expect(status, text).toBe(200);
  return JSON.parse(text) as Body;
}

function query(range: Range | undefined, filters: RefFilters): string {
  const params = new URLSearchParams(filters);
  if (range) {
    params.set('from', String(range.from));
    params.set('to', String(range.to));
  }
  return params.toString();
}

/** Sums depend on the order they are added in, which differs between the two computations. */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const ok = Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
    expect(ok, `${path}: ${actual} != ${expected}`).toBe(true);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    expect(actual.length, `${path}.length`).toBe(expected.length);
    for (const [i, e] of expected.entries()) expectClose(actual[i], e, `${path}[${i}]`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** Every number of `actual` equals the reference's (sums to within rounding). */
function expectInsights(actual: DashboardData, expected: RefInsights, what: string): void {
  const got = actual.insights;
  expect(got.filters, `${what}: filters`).toEqual(expected.filters);
  expect(got.buckets, `${what}: buckets`).toEqual(expected.buckets);
  expect(got.extent, `${what}: extent`).toEqual(expected.extent);
  for (const [name, dist] of Object.entries(expected.distributions)) {
    const d = got.distributions[name as keyof RefInsights['distributions']];
    expect(d.overall, `${what}: ${name} overall`).toEqual(dist.overall);
    expect(d.overTime, `${what}: ${name} over time`).toEqual(dist.overTime);
  }
  expect(got.heatmaps, `${what}: heatmaps`).toEqual(expected.heatmaps);
  for (const [name, breakdown] of Object.entries(expected.breakdowns)) {
    const b = got.breakdowns[name as keyof RefInsights['breakdowns']];
    expect(b, `${what}: breakdown ${name}`).toEqual(breakdown);
  }
  const phases = got.syncPhases;
  const want = expected.syncPhases;
  expect(
    phases.rows.map((r) => [r.phase, r.quantiles]),
    `${what}: phase rows`,
  ).toEqual(want.rows.map((r) => [r.phase, r.quantiles]));
  expectClose(
    phases.rows.map((r) => [r.totalSeconds, r.shareOfSync]),
    want.rows.map((r) => [r.totalSeconds, r.shareOfSync]),
    `${what}: phase totals and shares`,
  );
  expectClose(phases.secondsOverTime, want.secondsOverTime, `${what}: phase seconds over time`);
  expectClose(phases.syncTotalSeconds, want.syncTotalSeconds, `${what}: sync total`);
  expectClose(phases.syncSecondsOverTime, want.syncSecondsOverTime, `${what}: sync over time`);
  expect(got.truncated, `${what}: nothing is cut`).toBeUndefined();
}

/** The eight classic panels obey the filters: they equal the panels of the filtered samples. */
function expectPanels(actual: DashboardData, range: Range, filters: RefFilters, what: string) {
  const expected = computePanels(filterSamples(fx.samples, range, filters), range, {
    ...DEFAULT_PANEL_LIMITS,
    maxGroups: MAX_GROUPS,
  });
  expect(actual.syncDurationExtremes, `${what}: sync extremes`).toEqual(
    expected.syncDurationExtremes,
  );
  expect(actual.totalConnectionTimeExtremes, `${what}: total extremes`).toEqual(
    expected.totalConnectionTimeExtremes,
  );
  expect(actual.iceVsRelay, `${what}: ICE vs relay`).toEqual(expected.iceVsRelay);
  expect(actual.loginSuccessVsFailure, `${what}: logins`).toEqual(expected.loginSuccessVsFailure);
  expect(actual.syncDuration.total, `${what}: sync points`).toBe(expected.syncDuration.total);
  expect(actual.totalConnectionTime.total, `${what}: total points`).toBe(
    expected.totalConnectionTime.total,
  );
  expect(actual.loginDuration.total, `${what}: login points`).toBe(expected.loginDuration.total);
}

async function expectExplicit(range: Range, filters: RefFilters): Promise<RefInsights> {
  const what = `${query(range, filters)}`;
  const body = await data(query(range, filters));
  expect(body.range, `${what}: an explicit range is never narrowed`).toEqual(range);
  const expected = referenceInsights(fx.samples, range, filters, MAX_GROUPS);
  expectInsights(body, expected, what);
  expectPanels(body, range, filters, what);
  return expected;
}

/** A request without a range: the default 24 h up to the server's now, narrowed to the data. */
async function expectFit(filters: RefFilters): Promise<{ range: Range; expected: RefInsights }> {
  const before = Date.now();
  const body = await data(query(undefined, filters));
  const after = Date.now();
  const what = `fit ${query(undefined, filters)}`;
  const now = body.range.to;
  expect(now, `${what}: ends at the server's now`).toBeGreaterThanOrEqual(before);
  expect(now, `${what}: ends at the server's now`).toBeLessThanOrEqual(after);
  const range = fittedRange(fx.samples, { from: now - DAY_MS, to: now }, filters);
  expect(body.range, `${what}: the effective range`).toEqual(range);
  const expected = referenceInsights(fx.samples, range, filters, MAX_GROUPS);
  expectInsights(body, expected, what);
  expectPanels(body, range, filters, what);
  return { range, expected };
}

const SINGLE_FILTERS: readonly RefFilters[] = [
  { connection_type: 'relay' },
  { attempt_type: 'reconnection' },
  { os: 'ios' },
  { arch: 'arm64' },
  { version: '0.60.8' },
  { deployment_type: 'selfhosted' },
];

describe.each(STORES)('dashboard data.json from the %s', (_name, sourceText, store) => {
  beforeAll(async () => {
    fx = await startDashboardFixture(await store());
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('demo window, explicit range: no filter, each filter alone, combinations, no match', async () => {
    expect((await data(query(fx.demo, {}))).source, 'the source asked for').toMatch(sourceText);
    const unfiltered = await expectExplicit(fx.demo, {});
    // The demo has more os, versions and connection types than the group limit.
    for (const b of ['p95TotalByConnectionType', 'relayShareByOs'] as const) {
      expect(unfiltered.breakdowns[b].rows.at(-1)?.other).toBe(true);
      expect(unfiltered.breakdowns[b].rows).toHaveLength(MAX_GROUPS + 1);
    }
    expect(unfiltered.syncPhases.rows.length).toBeGreaterThan(MAX_GROUPS);
    for (const filters of SINGLE_FILTERS) await expectExplicit(fx.demo, filters);
    await expectExplicit(fx.demo, { connection_type: 'relay', os: 'ios' });
    await expectExplicit(fx.demo, { version: '0.59.12', deployment_type: 'cloud', arch: 'amd64' });
    const none = await expectExplicit(fx.demo, { os: 'plan9' });
    expect(none.extent).toBeNull();
    expect(none.distributions.connectionTotal.overall.count).toBe(0);
  });

  it('hand-made window: ties at the group limit, missing tags, unknown phases, edges', async () => {
    const all = await expectExplicit(fx.crafted, {});
    // What the hand-made set is for, stated directly so the reference cannot drift from it.
    expect(all.breakdowns.relayShareByOs.rows).toEqual([
      { label: 'linux', value: 1 / 3, count: 3 },
      { label: 'darwin', value: 1 / 2, count: 2 },
      { label: 'other', value: 1 / 3, count: 3, other: true },
    ]);
    expect(all.breakdowns.p95TotalByConnectionType.rows.map((r) => [r.label, r.count])).toEqual([
      ['relay', 3],
      ['ice_p2p', 2],
      ['other', 3],
    ]);
    expect(all.breakdowns.loginFailureRateByVersion.rows).toEqual([
      { label: '0.59.12', value: 0, count: 3 },
      { label: '0.61.0', value: 1 / 2, count: 2 },
      { label: 'other', value: 3 / 4, count: 4, other: true },
    ]);
    // Unknown phases: the most samples (alpha ties zeta and wins by name), shown by name.
    expect(all.syncPhases.rows.map((r) => [r.phase, r.quantiles.count])).toEqual([
      ['netbird_config', 2],
      ['checks', 1],
      ['alpha_phase', 2],
      ['gamma_phase', 3],
      ['other', 3],
    ]);
    expect(all.extent).toEqual({ from: fx.crafted.from, to: fx.crafted.to });
    expect(all.distributions.connectionTotal.overall).toEqual({
      count: 8,
      p50: 0.75,
      p95: 700,
      p99: 700,
      max: 700,
    });
    // 0.5 s is in the band it bounds, 700 s above every bound; 14.999 s and 15 s either side of
    // a bucket edge; the last millisecond of the range counts.
    const heat = all.heatmaps.connectionTotal.counts;
    const bands = (row: readonly number[] | undefined) =>
      (row ?? []).flatMap((n, band) => Array<number>(n).fill(band));
    expect([bands(heat[0]), bands(heat[1]), bands(heat.at(-1))]).toEqual([[8, 18], [0], [9]]);
    await expectExplicit(fx.crafted, { os: 'linux' });
    await expectExplicit(fx.crafted, { connection_type: 'relay', version: '0.61.0' });
    await expectExplicit(fx.crafted, { os: 'darwin', attempt_type: 'reconnection' });
    await expectExplicit(fx.crafted, { connection_type: 'quic_direct' });
    const odd = await expectExplicit(fx.crafted, { version: ODD_VERSION });
    expect(odd.breakdowns.loginFailureRateByVersion.rows).toEqual([
      { label: ODD_VERSION, value: 1, count: 1 },
    ]);
  });

  it('fit default: the 24 h preset narrowed to the first sample, with and without filters', async () => {
    const { range, expected } = await expectFit({});
    // The demo's half hour fills the buckets instead of a sliver of a day.
    expect(range.from).toBeGreaterThan(fx.demo.from - expected.buckets.stepMs);
    expect(range.from).toBeLessThanOrEqual(fx.demo.from);
    expect(expected.buckets.stepMs).toBeLessThanOrEqual(60_000);
    await expectFit({ os: 'ios' });
    await expectFit({ connection_type: 'relay', os: 'ios' });
    // A preset asked for by name is explicit: never narrowed.
    const preset = await data('range=24h');
    expect(preset.range.to - preset.range.from).toBe(DAY_MS);
    expectInsights(preset, referenceInsights(fx.samples, preset.range, {}, MAX_GROUPS), '24h');
  });

  it('a perturbed sample makes the comparison fail', async () => {
    const body = await data(query(fx.crafted, {}));
    const changed = fx.samples.map((s) =>
      s.measurement === 'netbird_sync_phase' && s.tags.phase === 'checks'
        ? { ...s, fields: { duration_seconds: 0.006 } }
        : s,
    );
    const wrong = referenceInsights(changed, fx.crafted, {}, MAX_GROUPS);
    expect(() => expectInsights(body, wrong, 'perturbed')).toThrow(/phase/);
  });
});

/** Whether `v` is one of the durations of `field` of `measurement` among `points`. */
function isSampleValue(points: readonly Point[], measurement: string, field: string, v: number) {
  return points.some((p) => p.measurement === measurement && p.fields[field] === v);
}

const DISTRIBUTION_FIELDS = {
  connectionTotal: ['netbird_peer_connection', 'total_seconds'],
  signalingToConnection: ['netbird_peer_connection', 'signaling_to_connection_seconds'],
  connectionToHandshake: ['netbird_peer_connection', 'connection_to_wg_handshake_seconds'],
  sync: ['netbird_sync', 'duration_seconds'],
  login: ['netbird_login', 'duration_seconds'],
} as const;

/**
 * Past the value bound: percentiles are estimates, each still a duration some sample had; every
 * count, maximum, sum, share, heatmap cell and the ranges stay exact.
 */
function expectBounded(actual: DashboardData, expected: RefInsights, points: readonly Point[]) {
  const got = actual.insights;
  expect(got.truncated?.join(' '), 'says the percentiles are estimates').toMatch(/estimate/);
  expect(got.buckets).toEqual(expected.buckets);
  expect(got.extent).toEqual(expected.extent);
  expect(got.heatmaps).toEqual(expected.heatmaps);
  let estimates = 0;
  const member = (m: string, f: string, v: number | null | undefined, what: string) => {
    if (v === null || v === undefined) return;
    estimates++;
    expect(isSampleValue(points, m, f, v), `${what}: ${v} is a sample's duration`).toBe(true);
  };
  for (const [name, [m, f]] of Object.entries(DISTRIBUTION_FIELDS)) {
    const d = got.distributions[name as keyof typeof DISTRIBUTION_FIELDS];
    const want = expected.distributions[name as keyof typeof DISTRIBUTION_FIELDS];
    expect([d.overall.count, d.overall.max], `${name} count and max`).toEqual([
      want.overall.count,
      want.overall.max,
    ]);
    expect(d.overTime.count, `${name} counts per bucket`).toEqual(want.overTime.count);
    for (const q of ['p50', 'p95', 'p99'] as const) {
      member(m, f, d.overall[q], `${name} ${q}`);
      for (const v of d.overTime[q]) member(m, f, v, `${name} ${q} per bucket`);
    }
  }
  for (const [name, b] of Object.entries(expected.breakdowns)) {
    const rows = got.breakdowns[name as keyof RefInsights['breakdowns']].rows;
    expect(
      rows.map((r) => [r.label, r.count, r.other]),
      `${name} rows`,
    ).toEqual(b.rows.map((r) => [r.label, r.count, r.other]));
    if (b.unit !== 'seconds') expect(rows.map((r) => r.value)).toEqual(b.rows.map((r) => r.value));
    else for (const r of rows) member('netbird_peer_connection', 'total_seconds', r.value, name);
  }
  const phases = got.syncPhases;
  const want = expected.syncPhases;
  expect(phases.rows.map((r) => [r.phase, r.quantiles.count, r.quantiles.max])).toEqual(
    want.rows.map((r) => [r.phase, r.quantiles.count, r.quantiles.max]),
  );
  for (const r of phases.rows) {
    for (const q of ['p50', 'p95', 'p99'] as const) {
      member('netbird_sync_phase', 'duration_seconds', r.quantiles[q], `phase ${r.phase} ${q}`);
    }
  }
  expectClose(
    phases.rows.map((r) => [r.totalSeconds, r.shareOfSync]),
    want.rows.map((r) => [r.totalSeconds, r.shareOfSync]),
    'phase totals and shares',
  );
  expectClose(phases.secondsOverTime, want.secondsOverTime, 'phase seconds over time');
  expectClose(phases.syncSecondsOverTime, want.syncSecondsOverTime, 'sync over time');
  expect(estimates, 'the estimates were looked at').toBeGreaterThan(0);
}

describe('dashboard data.json past the value bound (embedded store)', () => {
  beforeAll(async () => {
    fx = await startDashboardFixture({ kind: 'embedded' }, 300);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('explicit and fit ranges: estimates said to be so, everything else exact', async () => {
    for (const filters of [{}, { os: 'linux' }] as RefFilters[]) {
      const body = await data(query(fx.demo, filters));
      const expected = referenceInsights(fx.samples, fx.demo, filters, MAX_GROUPS);
      expectBounded(body, expected, selectPoints(fx.samples, fx.demo, filters));
    }
    const body = await data('');
    const preset = { from: body.range.to - DAY_MS, to: body.range.to };
    const range = fittedRange(fx.samples, preset, {});
    expect(body.range).toEqual(range);
    expectBounded(
      body,
      referenceInsights(fx.samples, range, {}, MAX_GROUPS),
      selectPoints(fx.samples, range, {}),
    );
  });
});

describe('bad filters', () => {
  beforeAll(async () => {
    fx = await startDashboardFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const long = 'x'.repeat(65);
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    ['os=linux&os=ios', /os.*2 times/],
    ['os=', /os/],
    [`version=${long}`, /version/],
    ['connection_type=relay&connection_type=relay', /connection_type/],
  ];
  for (const [q, reason] of cases) {
    it(`?${q} is a 400 with the reason, as JSON and as a page`, async () => {
      const json = await get(q);
      expect(json.status).toBe(400);
      expect((JSON.parse(json.text) as { error: string }).error).toMatch(reason);
      const page = await fetch(`${fx.ingest.url}/dashboard?${q}`);
      expect(page.status).toBe(400);
      expect(await page.text()).toMatch(reason);
      // Nothing else is broken: the next good request is answered in full.
      await expectExplicit(fx.crafted, { os: 'linux' });
    });
  }

  it('unknown parameters are ignored as before', async () => {
    const body = await data(`${query(fx.crafted, {})}&colour=blue`);
    expectInsights(body, referenceInsights(fx.samples, fx.crafted, {}, MAX_GROUPS), 'unknown');
  });
});

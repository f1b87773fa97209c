// The built-in dashboard reading InfluxDB 1.6 through InfluxQL must show what it computes from
// the same samples in memory (the embedded-store path).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  InfluxqlError,
  influxqlSource,
  runInfluxql,
} from '../../src/ingest/dashboard/influxql-source.js';
import {
  computePanels,
  type DashboardData,
  type PlotPoint,
} from '../../src/ingest/dashboard/panels.js';
import { influxCreateDatabase, influxWrite, uniqueName } from '../helpers/backend-clients.js';
import { type DemoData, lineProtocol, recordDemoFleet } from '../helpers/demo-data.js';

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
    expect(bar.value).toBeCloseTo(want?.value ?? Number.NaN, 9);
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

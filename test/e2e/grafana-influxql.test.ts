// Every query of the InfluxQL Grafana dashboards (client metrics and sync phases), run against
// InfluxDB 1.6 on demo data as Grafana would send it, returns what the samples say it must:
// percentiles by nearest rank, shares, breakdowns and heatmap counts computed here from the
// stored samples, with the template variables at "All" and each set to one value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { timeFilter } from '../../src/ingest/dashboard/influxql-queries.js';
import { PANELS, type PanelId } from '../../src/ingest/dashboard/panels.js';
import type { MeasurementName } from '../../src/protocol/schema.js';
import {
  type InfluxSeries,
  influxCreateDatabase,
  influxQuery,
  influxRows,
  influxWrite,
  uniqueName,
} from '../helpers/backend-clients.js';
import { type DemoData, lineProtocol, recordDemoFleet } from '../helpers/demo-data.js';
import {
  checkTopK,
  commonest,
  commonestValues,
  groupBy,
  interpolate,
  nearestRank,
  selected,
  type VariableValues,
} from '../helpers/grafana-variables.js';

interface Target {
  refId: string;
  query: string;
  alias: string;
}
interface Panel {
  title: string;
  targets: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string; type: string }> };
}
const read = (file: string) =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, '../../grafana/dashboards', file), 'utf8'),
  ) as Dashboard;
const dashboard = read('netbird-influxql.json');
const phases = read('netbird-sync-phases-influxql.json');

const url = inject('influxdbUrl');
let db: string;
let demo: DemoData;

beforeAll(async () => {
  db = uniqueName('grafana');
  await influxCreateDatabase(url, db);
  demo = recordDemoFleet({ peers: 80, seed: 11, windowMs: 30 * 60_000 });
  await influxWrite(url, db, lineProtocol(demo.samples), 'n');
});

const INTERVAL_MS = 60_000;

/** What Grafana sends: `$timeFilter` for the demo window, a 1 min `$__interval`, the variables. */
function run(query: string, vars: VariableValues = {}): Promise<InfluxSeries[]> {
  const q = interpolate(query, vars, {
    timeFilter: timeFilter({ from: demo.from, to: demo.to }),
    __interval: '1m',
  });
  return influxQuery(url, db, q, { epoch: 'ms' });
}

function targets(id: PanelId): Target[] {
  const title = PANELS.find((p) => p.id === id)?.title;
  const panel = dashboard.panels.find((p) => p.title === title);
  if (panel === undefined) throw new Error(`no Grafana panel ${title}`);
  return panel.targets;
}

const values = (measurement: string, field: string) =>
  demo.samples.filter((s) => s.measurement === measurement).map((s) => s.fields[field] as number);
const min = (xs: number[]) => Math.min(...xs);
const max = (xs: number[]) => Math.max(...xs);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('InfluxQL dashboard on InfluxDB 1.6: the eight reference panels', () => {
  it('has all eight, with the variables applied', () => {
    for (const p of PANELS) expect(targets(p.id).length, p.title).toBeGreaterThan(0);
  });

  it('Sync Duration Extremes and Total Connection Time Extremes', async () => {
    const [sync] = targets('sync-duration-extremes');
    const rows = influxRows((await run(sync?.query ?? ''))[0]);
    expect(rows[0]?.min).toBe(min(values('netbird_sync', 'duration_seconds')));
    expect(rows[0]?.max).toBe(max(values('netbird_sync', 'duration_seconds')));
    const [total] = targets('total-connection-time-extremes');
    const totals = values('netbird_peer_connection', 'total_seconds');
    const t = influxRows((await run(total?.query ?? ''))[0]);
    expect(t[0]?.min).toBe(min(totals));
    expect(t[0]?.max).toBe(max(totals));
  });

  it('Sync Duration and Total Connection Time: every sample, one point each', async () => {
    const [sync] = targets('sync-duration');
    const syncRows = influxRows((await run(sync?.query ?? ''))[0]);
    expect(sortNum(syncRows.map((r) => r.sync as number))).toEqual(
      sortNum(values('netbird_sync', 'duration_seconds')),
    );
    const [total] = targets('total-connection-time');
    const totalRows = influxRows((await run(total?.query ?? ''))[0]);
    expect(sortNum(totalRows.map((r) => r.total as number))).toEqual(
      sortNum(values('netbird_peer_connection', 'total_seconds')),
    );
  });

  it('ICE vs Relay: peer pairs by the type of their last connection', async () => {
    const last = new Map<string, { t: bigint; type: string }>();
    for (const s of demo.samples) {
      if (s.measurement !== 'netbird_peer_connection') continue;
      const pair = s.tags.connection_pair_id as string;
      const seen = last.get(pair);
      if (seen === undefined || s.timestampNs > seen.t)
        last.set(pair, { t: s.timestampNs, type: s.tags.connection_type as string });
    }
    const expected = new Map<string, number>();
    for (const { type } of last.values()) expected.set(type, (expected.get(type) ?? 0) + 1);
    // Reconnections over another transport make this differ from counting every sample.
    const everySample = values('netbird_peer_connection', 'total_seconds').length;
    expect(last.size).toBeLessThan(everySample);
    const got = new Map<string, number>();
    for (const t of targets('ice-vs-relay')) {
      for (const row of influxRows((await run(t.query))[0])) {
        for (const [column, value] of Object.entries(row)) {
          if (column !== 'time' && typeof value === 'number') got.set(column, value);
        }
      }
    }
    expect(got).toEqual(expected);
  });

  it('Connection Stage Durations (avg)', async () => {
    const [t] = targets('connection-stage-durations');
    const row = influxRows((await run(t?.query ?? ''))[0])[0];
    expect(row?.['Avg Signaling to Connection']).toBeCloseTo(
      mean(values('netbird_peer_connection', 'signaling_to_connection_seconds')),
      9,
    );
    expect(row?.['Avg Connection to WG Handshake']).toBeCloseTo(
      mean(values('netbird_peer_connection', 'connection_to_wg_handshake_seconds')),
      9,
    );
  });

  it('Login Duration by result and Login Success vs Failure', async () => {
    const logins = demo.samples.filter((s) => s.measurement === 'netbird_login');
    const byResult = (result: string) =>
      sortNum(
        logins
          .filter((s) => s.tags.result === result)
          .map((s) => s.fields.duration_seconds as number),
      );
    expect(byResult('failure').length).toBeGreaterThan(0);
    const [points] = targets('login-duration');
    const series = await run(points?.query ?? '');
    expect(series.map((s) => s.tags?.result).sort()).toEqual(['failure', 'success']);
    for (const s of series) {
      expect(sortNum(influxRows(s).map((r) => r.login as number))).toEqual(
        byResult(s.tags?.result ?? ''),
      );
    }
    const [counts] = targets('login-success-vs-failure');
    const countSeries = await run(counts?.query ?? '');
    expect(
      Object.fromEntries(countSeries.map((s) => [s.tags?.result, influxRows(s)[0]?.logins])),
    ).toEqual({ success: byResult('success').length, failure: byResult('failure').length });
  });

  it('a variable set to one value narrows the reference panels to its samples', async () => {
    const os = commonest(demo.samples, 'netbird_peer_connection', 'os');
    const vars = { os, connection_type: 'relay' };
    const conns = selected(demo.samples, 'netbird_peer_connection', vars);
    expect(conns.length).toBeGreaterThan(0);
    const totals = conns.map((s) => s.fields.total_seconds as number);
    const [total] = targets('total-connection-time-extremes');
    const t = influxRows((await run(total?.query ?? '', vars))[0]);
    expect([t[0]?.min, t[0]?.max]).toEqual([min(totals), max(totals)]);
    // Sync has no connection type: only the OS narrows it.
    const syncs = selected(demo.samples, 'netbird_sync', vars).map(
      (s) => s.fields.duration_seconds as number,
    );
    expect(syncs.length).toBeLessThan(values('netbird_sync', 'duration_seconds').length);
    const [sync] = targets('sync-duration');
    const syncRows = influxRows((await run(sync?.query ?? '', vars))[0]);
    expect(sortNum(syncRows.map((r) => r.sync as number))).toEqual(sortNum(syncs));
  });
});

// ------------------------------------------------------------- the panels beyond the eight

type Sample = DemoData['samples'][number];
const f = (s: Sample, field: string) => s.fields[field] as number;
const minuteOf = (s: Sample) => Math.floor(Number(s.timestampNs / 1_000_000n) / INTERVAL_MS);

/** Percentile quantities: panel title prefix → measurement and (field, column prefix). */
const QUANTITIES: Record<string, [MeasurementName, Array<[string, string]>]> = {
  'Total Connection Time': ['netbird_peer_connection', [['total_seconds', '']]],
  'Connection Stages': [
    'netbird_peer_connection',
    [
      ['signaling_to_connection_seconds', 'signaling_to_connection '],
      ['connection_to_wg_handshake_seconds', 'connection_to_wg_handshake '],
    ],
  ],
  'Sync Duration': ['netbird_sync', [['duration_seconds', '']]],
  'Login Duration': ['netbird_login', [['duration_seconds', '']]],
};

const rowsOf = (series: InfluxSeries[]) => series.flatMap((s) => influxRows(s));

/** Expected vs actual for one panel under one variable setting; throws on a difference. */
type Check = (panel: Panel, vars: VariableValues) => Promise<void>;

function percentileCheck(prefix: string, overTime: boolean): Check {
  const [m, fields] = QUANTITIES[prefix] as [MeasurementName, Array<[string, string]>];
  return async (panel, vars) => {
    const samples = selected(demo.samples, m, vars);
    expect(samples.length, `${panel.title}: samples`).toBeGreaterThan(0);
    const rows = rowsOf(await run(panel.targets[0]?.query ?? '', vars));
    const groups = overTime
      ? groupBy(samples, (s) => String(minuteOf(s) * INTERVAL_MS))
      : new Map([['', samples]]);
    expect(rows.length, panel.title).toBe(groups.size);
    for (const row of rows) {
      const own = groups.get(overTime ? String(row.time) : '') ?? [];
      for (const [field, col] of fields) {
        const xs = own.map((s) => f(s, field));
        for (const p of [50, 95, 99]) {
          expect(row[`${col}p${p}`], `${panel.title} ${col}p${p}`).toBe(nearestRank(xs, p));
        }
        if (!overTime) expect(row[`${col}count`]).toBe(xs.length);
      }
    }
  };
}

/** A `top` answer: one row per group, the group in column `tag`. */
async function topAnswer(panel: Panel, vars: VariableValues, tag: string, column: string) {
  const rows = rowsOf(await run(panel.targets[0]?.query ?? '', vars));
  return new Map(rows.map((r) => [String(r[tag]), r[column] as number]));
}

const close = (actual: number, want: number, what: string) =>
  expect(actual, what).toBeCloseTo(want, 9);

function shareCheck(
  m: MeasurementName,
  tag: string,
  isPart: (s: Sample) => boolean,
  atLeastOnePart: boolean,
): Check {
  return async (panel, vars) => {
    const groups = groupBy(selected(demo.samples, m, vars), (s) => s.tags[tag] ?? '');
    const expected = new Map(
      [...groups].map(([k, ss]) => [k, ss.filter(isPart).length / ss.length]),
    );
    if (atLeastOnePart) expect(Math.max(...expected.values()), panel.title).toBeGreaterThan(0);
    checkTopK(await topAnswer(panel, vars, tag, 'share'), expected, 10, close);
  };
}

function heatmapCheck(m: MeasurementName, field: string): Check {
  return async (panel, vars) => {
    const samples = selected(demo.samples, m, vars);
    let counted = 0;
    let lower = Number.NEGATIVE_INFINITY;
    for (const t of panel.targets) {
      const upper = t.alias === '+Inf' ? Number.POSITIVE_INFINITY : Number(t.alias);
      const inBucket = samples.filter((s) => f(s, field) > lower && f(s, field) <= upper);
      const perMinute = groupBy(inBucket, (s) => String(minuteOf(s) * INTERVAL_MS));
      for (const row of rowsOf(await run(t.query, vars))) {
        const want = perMinute.get(String(row.time))?.length ?? 0;
        expect(row[t.alias], `${panel.title} le=${t.alias} at ${row.time}`).toBe(want);
        counted += want;
      }
      lower = upper;
    }
    // Every sample lands in exactly one bucket and one interval.
    expect(counted, panel.title).toBe(samples.length);
  };
}

/** Series grouped by a tag, one value column each: tag value → rows. */
async function seriesByTag(query: string, vars: VariableValues, tag: string) {
  const series = await run(query, vars);
  return new Map(series.map((s) => [s.tags?.[tag] ?? '', influxRows(s)]));
}

const PHASE: MeasurementName = 'netbird_sync_phase';
const byPhase = (vars: VariableValues) =>
  groupBy(selected(demo.samples, PHASE, vars), (s) => s.tags.phase ?? '');

const CHECKS: Record<string, Check> = {
  ...Object.fromEntries(
    Object.keys(QUANTITIES).flatMap((q) => [
      [`${q} p50 / p95 / p99`, percentileCheck(q, false)],
      [`${q} Percentiles over Time`, percentileCheck(q, true)],
    ]),
  ),
  'p95 Total Connection Time by Connection Type': async (panel, vars) => {
    const groups = groupBy(
      selected(demo.samples, 'netbird_peer_connection', vars),
      (s) => s.tags.connection_type ?? '',
    );
    const expected = new Map(
      [...groups].map(([k, ss]) => [
        k,
        nearestRank(
          ss.map((s) => f(s, 'total_seconds')),
          95,
        ) as number,
      ]),
    );
    checkTopK(await topAnswer(panel, vars, 'connection_type', 'p95'), expected, 10, close);
  },
  'Relay Share by OS': shareCheck(
    'netbird_peer_connection',
    'os',
    (s) => s.tags.connection_type === 'relay',
    false,
  ),
  'Login Failure Rate by Version': shareCheck(
    'netbird_login',
    'version',
    (s) => s.tags.result === 'failure',
    true,
  ),
  'Connections by Attempt Type': async (panel, vars) => {
    const groups = groupBy(
      selected(demo.samples, 'netbird_peer_connection', vars),
      (s) => s.tags.attempt_type ?? '',
    );
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'attempt_type');
    expect(new Map([...got].map(([k, rows]) => [k, rows[0]?.connections]))).toEqual(
      new Map([...groups].map(([k, ss]) => [k, ss.length])),
    );
  },
  'Total Connection Time Heatmap': heatmapCheck('netbird_peer_connection', 'total_seconds'),
  'Sync Duration Heatmap': heatmapCheck('netbird_sync', 'duration_seconds'),
  // The sync phases dashboard.
  'Time per Phase': async (panel, vars) => {
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'phase');
    const expected = byPhase(vars);
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    for (const [phase, rows] of got) {
      const perMinute = groupBy(expected.get(phase) ?? [], (s) =>
        String(minuteOf(s) * INTERVAL_MS),
      );
      let total = 0;
      for (const row of rows) {
        const want = sum(
          (perMinute.get(String(row.time)) ?? []).map((s) => f(s, 'duration_seconds')),
        );
        close(row.time_spent as number, want, `${phase} at ${row.time}`);
        total += want;
      }
      close(total, sum((expected.get(phase) ?? []).map((s) => f(s, 'duration_seconds'))), phase);
    }
  },
  'Phase p50 / p95 / p99': async (panel, vars) => {
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'phase');
    const expected = byPhase(vars);
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    for (const [phase, rows] of got) {
      const xs = (expected.get(phase) ?? []).map((s) => f(s, 'duration_seconds'));
      for (const p of [50, 95, 99]) expect(rows[0]?.[`p${p}`], phase).toBe(nearestRank(xs, p));
    }
  },
  'Phase Mean / p95 / Max': async (panel, vars) => {
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'phase');
    const expected = byPhase(vars);
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    for (const [phase, rows] of got) {
      const xs = (expected.get(phase) ?? []).map((s) => f(s, 'duration_seconds'));
      close(rows[0]?.mean as number, mean(xs), `${phase} mean`);
      expect(rows[0]?.p95, phase).toBe(nearestRank(xs, 95));
      expect(rows[0]?.max, phase).toBe(Math.max(...xs));
      expect(rows[0]?.count, phase).toBe(xs.length);
    }
  },
  'Share of Sync Time per Phase': async (panel, vars) => {
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'phase');
    const expected = byPhase(vars);
    const all = sum([...expected.values()].flat().map((s) => f(s, 'duration_seconds')));
    const gotAll = sum([...got.values()].map((rows) => rows[0]?.time_spent as number));
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    // The pie shows each phase's part of the sum of all phases.
    for (const [phase, rows] of got) {
      const part = sum((expected.get(phase) ?? []).map((s) => f(s, 'duration_seconds')));
      close((rows[0]?.time_spent as number) / gotAll, part / all, phase);
    }
  },
  'Sync Duration by Version (reference)': async (panel, vars) => {
    const got = await seriesByTag(panel.targets[0]?.query ?? '', vars, 'version');
    const expected = groupBy(
      selected(demo.samples, 'netbird_sync', vars),
      (s) => s.tags.version ?? '',
    );
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    for (const [version, rows] of got) {
      const perMinute = groupBy(expected.get(version) ?? [], (s) =>
        String(minuteOf(s) * INTERVAL_MS),
      );
      expect(rows.length, version).toBe(perMinute.size);
      for (const row of rows) {
        const xs = (perMinute.get(String(row.time)) ?? []).map((s) => f(s, 'duration_seconds'));
        close(row.mean as number, mean(xs), `${version} mean at ${row.time}`);
        expect(row.p95, version).toBe(nearestRank(xs, 95));
      }
    }
  },
};

const REFERENCE_TITLES: ReadonlySet<string> = new Set(PANELS.map((p) => p.title));
const newPanels = (d: Dashboard) => d.panels.filter((p) => !REFERENCE_TITLES.has(p.title));

/** One variable setting per tag, each its commonest value among connections (or syncs), and a multi-value one. */
function oneValueSettings(): VariableValues[] {
  const conn = 'netbird_peer_connection';
  return [
    { connection_type: 'relay' },
    { attempt_type: 'reconnection' },
    { os: commonest(demo.samples, conn, 'os') },
    { arch: commonest(demo.samples, conn, 'arch') },
    { version: commonest(demo.samples, 'netbird_sync', 'version') },
    { deployment_type: commonest(demo.samples, conn, 'deployment_type') },
    // Several values of one variable, and two variables at once.
    { os: commonestValues(demo.samples, conn, 'os', 2), connection_type: ['ice_p2p', 'ice_turn'] },
  ];
}

describe('InfluxQL dashboards on InfluxDB 1.6: percentiles, breakdowns, heatmaps, sync phases', () => {
  it('every panel has a check here', () => {
    for (const d of [dashboard, phases]) {
      for (const p of newPanels(d)) expect(Object.keys(CHECKS), p.title).toContain(p.title);
    }
    expect(newPanels(dashboard).length).toBeGreaterThanOrEqual(14);
    expect(phases.panels).toHaveLength(5);
  });

  it('with every variable at All', async () => {
    for (const d of [dashboard, phases]) {
      for (const p of newPanels(d)) await (CHECKS[p.title] as Check)(p, {});
    }
  });

  it('with each variable set to one value, and with several values', async () => {
    for (const vars of oneValueSettings()) {
      for (const p of newPanels(dashboard)) await (CHECKS[p.title] as Check)(p, vars);
    }
    const version = commonest(demo.samples, PHASE, 'version');
    for (const p of phases.panels) await (CHECKS[p.title] as Check)(p, { version });
  });

  it('the variables list the tag values the samples carry', async () => {
    for (const d of [dashboard, phases]) {
      for (const v of d.templating.list) {
        const [, measurement] = /FROM "(\w+)"/.exec(v.query ?? '') ?? [];
        const want = new Set(
          demo.samples
            .filter((s) => s.measurement === measurement)
            .map((s) => s.tags[v.name])
            .filter((x) => x !== undefined && x !== ''),
        );
        const got = rowsOf(await run(v.query ?? '')).map((r) => r.value);
        expect(new Set(got), v.name).toEqual(want);
      }
    }
  });
});

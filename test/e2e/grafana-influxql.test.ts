// Every query of the InfluxQL Grafana dashboard, run against InfluxDB 1.6 on demo data, returns
// what the samples say it must.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { timeFilter } from '../../src/ingest/dashboard/influxql-queries.js';
import { PANELS, type PanelId } from '../../src/ingest/dashboard/panels.js';
import {
  type InfluxSeries,
  influxCreateDatabase,
  influxQuery,
  influxRows,
  influxWrite,
  uniqueName,
} from '../helpers/backend-clients.js';
import { type DemoData, lineProtocol, recordDemoFleet } from '../helpers/demo-data.js';

interface Target {
  refId: string;
  query: string;
  alias: string;
}
const dashboard = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../grafana/dashboards/netbird-influxql.json'), 'utf8'),
) as { panels: Array<{ title: string; targets: Target[] }> };

const url = inject('influxdbUrl');
let db: string;
let demo: DemoData;

beforeAll(async () => {
  db = uniqueName('grafana');
  await influxCreateDatabase(url, db);
  demo = recordDemoFleet({ peers: 80, seed: 11, windowMs: 30 * 60_000 });
  await influxWrite(url, db, lineProtocol(demo.samples), 'n');
});

/** What Grafana sends for `$timeFilter` with the dashboard's range set to the demo window. */
function run(query: string): Promise<InfluxSeries[]> {
  const q = query.split('$timeFilter').join(timeFilter({ from: demo.from, to: demo.to }));
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
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('InfluxQL dashboard on InfluxDB 1.6', () => {
  it('covers all eight panels', () => {
    expect(dashboard.panels).toHaveLength(8);
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
});

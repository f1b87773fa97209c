import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InfluxLineProtocolExporter } from '../../src/exporters/influxdb/influx-metric-exporter.js';
import { formatDecimal, hrTimeToNs } from '../../src/exporters/influxdb/otel-to-line-protocol.js';
import { ConnectionStages, createClientMetrics, INSTRUMENTS } from '../../src/index.js';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
  vmExport,
  vmForceFlush,
  waitFor,
} from '../helpers/backend-clients.js';
import { findHistogram, TestReader } from '../helpers/test-reader.js';

/** The InfluxDB metric exporter against real servers: what it writes is what they store. */

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';

const exporters: InfluxLineProtocolExporter[] = [];
afterAll(async () => {
  await Promise.all(exporters.map((e) => e.shutdown()));
});

/** NetBird instruments recorded through ClientMetrics into a delta reader for `exporter`. */
async function recordNetbird(exporter: InfluxLineProtocolExporter, service: string) {
  const reader = new TestReader({
    aggregationTemporalitySelector: (t) => exporter.selectAggregationTemporality(t),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
  });
  const m = createClientMetrics({
    version: '0.60.2',
    managementUrl: 'https://api.netbird.io',
    publicKey: KEY,
    os: 'linux',
    arch: 'amd64',
    meterProvider: provider,
    env: {},
  });
  const now = Date.now();
  const stages = new ConnectionStages();
  stages.signalingReceived(now - 2500);
  stages.connectionReady(now - 400);
  stages.wgHandshake(now - 100);
  m.recordConnection(stages, 'ice_p2p', REMOTE);
  m.recordSync(0.125);
  m.recordSync(3.5);
  const rm = await reader.collectMetrics();
  return { rm, agent: m.agentInfo };
}

function exportOnce(exporter: InfluxLineProtocolExporter, rm: ResourceMetrics) {
  return new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
    exporter.export(rm, resolve),
  );
}

function point(rm: ResourceMetrics, name: string, stage?: string): DataPoint<Histogram> {
  const h = findHistogram(rm, name);
  const p = h?.dataPoints.find((d) => stage === undefined || d.attributes.stage === stage);
  if (p === undefined) throw new Error(`no point ${name} ${stage ?? ''}`);
  return p;
}

/** Every field the layout writes for a histogram point, computed from the point itself. */
function expectedFields(p: DataPoint<Histogram>): Record<string, number> {
  const v = p.value;
  const fields: Record<string, number> = { count: v.count, sum: v.sum as number };
  if (v.min !== undefined) fields.min = v.min;
  if (v.max !== undefined) fields.max = v.max;
  let cumulative = 0;
  v.buckets.boundaries.forEach((b, i) => {
    cumulative += v.buckets.counts[i] ?? 0;
    fields[formatDecimal(b)] = cumulative;
  });
  fields['+Inf'] = v.count;
  return fields;
}

describe('InfluxLineProtocolExporter → InfluxDB 1.6 /write', () => {
  it('stores every histogram field, tag and the point end time exactly', async () => {
    const url = inject('influxdbUrl');
    const db = uniqueName('otel_agg');
    await influxCreateDatabase(url, db);
    const exporter = new InfluxLineProtocolExporter({ url, database: db });
    exporters.push(exporter);
    const service = uniqueName('svc');
    const { rm, agent } = await recordNetbird(exporter, service);
    expect((await exportOnce(exporter, rm)).code).toBe(ExportResultCode.SUCCESS);

    const total = point(rm, INSTRUMENTS.connection, 'total');
    const series = await influxQuery(
      url,
      db,
      `SELECT * FROM "netbird_peer_connection_duration_seconds" WHERE "stage" = 'total'`,
    );
    const rows = influxRows(series[0]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row.time).toBe(hrTimeToNs(total.endTime));
    for (const [field, value] of Object.entries(expectedFields(total))) {
      expect(row[field], field).toBe(value);
    }
    expect(row).toMatchObject({
      'service.name': service,
      'otel.library.name': 'netbird-otel-metrics',
      stage: 'total',
      connection_type: 'ice_p2p',
      attempt_type: 'initial',
      deployment_type: 'cloud',
      version: '0.60.2',
      os: 'linux',
      arch: 'amd64',
      peer_id: agent.peerId,
    });

    const sync = point(rm, INSTRUMENTS.sync);
    const syncRows = influxRows(
      (
        await influxQuery(
          url,
          db,
          `SELECT "count", "sum", "min", "max", "+Inf" FROM "netbird_sync_duration_seconds"`,
        )
      )[0],
    );
    expect(syncRows).toEqual([
      { time: hrTimeToNs(sync.endTime), count: 2, sum: 3.625, min: 0.125, max: 3.5, '+Inf': 2 },
    ]);
  });

  it('reports a write InfluxDB refuses (unknown database) as FAILED and drops it', async () => {
    const url = inject('influxdbUrl');
    const exporter = new InfluxLineProtocolExporter({ url, database: uniqueName('missing') });
    exporters.push(exporter);
    const { rm } = await recordNetbird(exporter, 'svc');
    const result = await exportOnce(exporter, rm);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('database not found');
    expect(exporter.stats.linesDroppedByServer).toBeGreaterThan(0);
    expect(exporter.stats.buffered).toBe(0);
  });
});

describe('InfluxLineProtocolExporter → VictoriaMetrics /api/v2/write', () => {
  it('stores each field as <measurement>_<field> with the point time (ms)', async () => {
    const url = inject('victoriaUrl');
    const exporter = new InfluxLineProtocolExporter({
      url,
      org: 'netbird',
      bucket: 'metrics',
      token: 't',
    });
    exporters.push(exporter);
    const service = uniqueName('svc');
    const { rm } = await recordNetbird(exporter, service);
    expect((await exportOnce(exporter, rm)).code).toBe(ExportResultCode.SUCCESS);

    const sync = point(rm, INSTRUMENTS.sync);
    const expected = expectedFields(sync);
    const match = `{__name__=~"netbird_sync_duration_seconds_.*",service.name="${service}"}`;
    const series = await waitFor(
      async () => {
        await vmForceFlush(url);
        return vmExport(url, match);
      },
      {
        timeoutMs: 10_000,
        until: (s) => s.length === Object.keys(expected).length,
        what: 'VictoriaMetrics series',
      },
    );
    const stored = Object.fromEntries(
      series.map((s) => [s.metric.__name__?.replace('netbird_sync_duration_seconds_', ''), s]),
    );
    const ms = Number(hrTimeToNs(sync.endTime) / 1_000_000n);
    for (const [field, value] of Object.entries(expected)) {
      expect(stored[field]?.values, field).toEqual([value]);
      expect(stored[field]?.timestamps, field).toEqual([ms]);
    }
    expect(series[0]?.metric).toMatchObject({
      'otel.library.name': 'netbird-otel-metrics',
      deployment_type: 'cloud',
      version: '0.60.2',
    });
  });
});

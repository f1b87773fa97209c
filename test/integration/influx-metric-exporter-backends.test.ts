import { ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type ResourceMetrics,
  type ScopeMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InfluxLineProtocolExporter } from '../../src/exporters/influxdb/influx-metric-exporter.js';
import { hrTimeToNs } from '../../src/exporters/influxdb/otel-to-line-protocol.js';
import { formatDecimal } from '../../src/exporters/influxdb/telegraf-schemas.js';
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
import { END_NS, handBuiltResourceMetrics, START_NS } from '../helpers/hand-built-metrics.js';
import { findHistogram, TestReader } from '../helpers/test-reader.js';

/** The InfluxDB metric exporter against real servers: what it writes is what they store. */

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';

const exporters: InfluxLineProtocolExporter[] = [];
afterAll(async () => {
  await Promise.all(exporters.map((e) => e.shutdown()));
});

/** NetBird instruments recorded through ClientMetrics into a reader for `exporter`. */
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

function point(rm: ResourceMetrics, name: string): DataPoint<Histogram> {
  const p = findHistogram(rm, name)?.dataPoints[0];
  if (p === undefined) throw new Error(`no point ${name}`);
  return p;
}

/** Every field the layout writes for a histogram point, computed from the point itself. */
function expectedFields(p: DataPoint<Histogram>): Record<string, number | bigint> {
  const v = p.value;
  const fields: Record<string, number | bigint> = {
    count: v.count,
    sum: v.sum as number,
    start_time_unix_nano: hrTimeToNs(p.startTime),
  };
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

    const connection = findHistogram(rm, INSTRUMENTS.connection)?.dataPoints ?? [];
    expect(connection.length).toBeGreaterThan(0);
    const rows = influxRows(
      (await influxQuery(url, db, 'SELECT * FROM "netbird.peer.connection.duration"'))[0],
    );
    expect(rows).toHaveLength(connection.length);
    for (const p of connection) {
      // Each point is the row whose tags are its attributes.
      const row = rows.find((r) =>
        Object.entries(p.attributes).every(([key, value]) => r[key] === String(value)),
      );
      expect(row, JSON.stringify(p.attributes)).toBeDefined();
      expect(row?.time).toBe(hrTimeToNs(p.endTime));
      for (const [field, value] of Object.entries(expectedFields(p))) {
        expect(row?.[field], field).toBe(value);
      }
      expect(row).toMatchObject({
        'service.name': service,
        'otel.library.name': 'netbird-otel-metrics',
        connection_type: 'ice_p2p',
        attempt_type: 'initial',
        deployment_type: 'cloud',
        version: '0.60.2',
        os: 'linux',
        arch: 'amd64',
        peer_id: agent.peerId,
      });
    }

    const sync = point(rm, INSTRUMENTS.sync);
    const syncRows = influxRows(
      (
        await influxQuery(
          url,
          db,
          `SELECT "count", "sum", "min", "max", "+Inf", "start_time_unix_nano" FROM "netbird.sync.duration"`,
        )
      )[0],
    );
    expect(syncRows).toEqual([
      {
        time: hrTimeToNs(sync.endTime),
        count: 2,
        sum: 3.625,
        min: 0.125,
        max: 3.5,
        '+Inf': 2,
        start_time_unix_nano: hrTimeToNs(sync.startTime),
      },
    ]);
  });

  it('reports a write InfluxDB refuses (a field type conflict) as FAILED and drops it', async () => {
    const url = inject('influxdbUrl');
    const db = uniqueName('otel_conflict');
    await influxCreateDatabase(url, db);
    const exporter = new InfluxLineProtocolExporter({ url, database: db });
    exporters.push(exporter);
    expect((await exportOnce(exporter, handBuiltResourceMetrics())).code).toBe(
      ExportResultCode.SUCCESS,
    );
    // `counter` was stored as an integer; the same metric from a floating-point instrument
    // cannot be written next to it.
    const rm = handBuiltResourceMetrics();
    const requests = rm.scopeMetrics[0]?.metrics[0] as SumMetricData;
    (rm.scopeMetrics[0] as ScopeMetrics).metrics = [
      {
        ...requests,
        descriptor: { ...requests.descriptor, valueType: ValueType.DOUBLE },
        dataPoints: requests.dataPoints.map((p) => ({ ...p, value: 42.5 })),
      },
    ];
    const result = await exportOnce(exporter, rm);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('field type conflict');
    expect(exporter.stats.linesDroppedByServer).toBeGreaterThan(0);
    expect(exporter.stats.buffered).toBe(0);
  });

  it('reports a write to an unknown database as FAILED and keeps it for a retry', async () => {
    const url = inject('influxdbUrl');
    const exporter = new InfluxLineProtocolExporter({ url, database: uniqueName('missing') });
    exporters.push(exporter);
    const { rm } = await recordNetbird(exporter, 'svc');
    const result = await exportOnce(exporter, rm);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('database not found');
    // A missing database is fixed by an operator, so the lines wait rather than being lost.
    expect(exporter.stats).toMatchObject({ linesDroppedByServer: 0, retries: 1 });
    expect(exporter.stats.buffered).toBe(exporter.stats.serializer.lines);
  });
});

describe('InfluxLineProtocolExporter → InfluxDB 1.6: the collector layouts, read back', () => {
  const startNs = BigInt(START_NS);
  const endNs = BigInt(END_NS);

  async function exportHandBuilt(schema?: 'telegraf-prometheus-v2') {
    const url = inject('influxdbUrl');
    const db = uniqueName(schema === undefined ? 'otel_v1' : 'otel_v2');
    await influxCreateDatabase(url, db);
    const exporter = new InfluxLineProtocolExporter({ url, database: db, schema });
    exporters.push(exporter);
    expect((await exportOnce(exporter, handBuiltResourceMetrics())).code).toBe(
      ExportResultCode.SUCCESS,
    );
    const select = async (q: string) => influxRows((await influxQuery(url, db, q))[0]);
    return { select };
  }

  // What the rules give for the hand-built metrics, as InfluxQL returns it: the resource's
  // tags without the per-process ones, the scope's, the point's.
  const shop = {
    'deployment.environment': 'prod',
    'host.name': 'web-1',
    'otel.library.name': 'shop',
    'otel.library.version': '2.1.0',
    'service.name': 'checkout',
  };

  it('telegraf-prometheus-v1: one measurement per metric, typed fields, every tag', async () => {
    const { select } = await exportHandBuilt();
    const time = endNs;
    const start_time_unix_nano = startNs;
    expect(await select('SELECT * FROM "http.requests"')).toEqual([
      { time, counter: 42, start_time_unix_nano, ...shop, method: 'GET', status: '200' },
    ]);
    expect(await select('SELECT * FROM "queue.depth"')).toEqual([
      { time, gauge: -3.5, start_time_unix_nano, ...shop, queue: 'orders' },
    ]);
    expect(await select('SELECT * FROM "cpu.temperature"')).toEqual([
      { time, gauge: 71.25, start_time_unix_nano, ...shop },
    ]);
    expect(await select('SELECT * FROM "jobs.done"')).toEqual([
      { time, gauge: 7, start_time_unix_nano, ...shop },
    ]);
    const histogram = await select('SELECT * FROM "http.server.duration"');
    expect(histogram).toEqual([
      {
        time,
        '+Inf': 4,
        '0.005': 1,
        '10': 3,
        '100': 3,
        count: 4,
        max: 180,
        min: 0.004,
        start_time_unix_nano,
        sum: 250.75,
        'deployment.environment': 'prod',
        'host.name': 'web-1',
        method: 'POST',
        'otel.library.name': 'runtime',
        route: '/cart',
        'service.name': 'checkout',
      },
    ]);
    // Integers stay integers, as the collector writes them, so both can share a database.
    const types = async (measurement: string) =>
      (await select(`SHOW FIELD KEYS FROM "${measurement}"`)).map((r) => [r.fieldKey, r.fieldType]);
    expect(await types('http.requests')).toEqual([
      ['counter', 'integer'],
      ['start_time_unix_nano', 'integer'],
    ]);
    expect(await types('cpu.temperature')).toEqual([
      ['gauge', 'float'],
      ['start_time_unix_nano', 'integer'],
    ]);
  });

  it('telegraf-prometheus-v2: measurement `prometheus`, buckets as `le` series', async () => {
    const { select } = await exportHandBuilt('telegraf-prometheus-v2');
    const H = 'http.server.duration';
    expect(
      await select(
        `SELECT "${H}_count", "${H}_sum", "${H}_min", "${H}_max", "start_time_unix_nano" FROM "prometheus" WHERE "route" = '/cart' AND "le" = ''`,
      ),
    ).toEqual([
      {
        time: endNs,
        [`${H}_count`]: 4,
        [`${H}_sum`]: 250.75,
        [`${H}_min`]: 0.004,
        [`${H}_max`]: 180,
        start_time_unix_nano: startNs,
      },
    ]);
    const buckets = await select(`SELECT "${H}_bucket", "le" FROM "prometheus"`);
    expect(Object.fromEntries(buckets.map((r) => [r.le, [r.time, r[`${H}_bucket`]]]))).toEqual({
      '0.005': [endNs, 1],
      '10': [endNs, 3],
      '100': [endNs, 3],
      '+Inf': [endNs, 4],
    });
    expect(await select('SELECT "http.requests" FROM "prometheus"')).toEqual([
      { time: endNs, 'http.requests': 42 },
    ]);
    expect(await select('SELECT "queue.depth" FROM "prometheus"')).toEqual([
      { time: endNs, 'queue.depth': -3.5 },
    ]);
    // Two metrics with the same tags and time are one point in this layout.
    expect(
      await select(
        `SELECT "cpu.temperature", "jobs.done", "start_time_unix_nano" FROM "prometheus" WHERE "otel.library.name" = 'shop' AND "queue" = '' AND "method" = ''`,
      ),
    ).toEqual([
      { time: endNs, 'cpu.temperature': 71.25, 'jobs.done': 7, start_time_unix_nano: startNs },
    ]);
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
    const match = `{__name__=~"netbird[.]sync[.]duration_.*",service.name="${service}"}`;
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
      series.map((s) => [s.metric.__name__?.replace('netbird.sync.duration_', ''), s]),
    );
    const ms = Number(hrTimeToNs(sync.endTime) / 1_000_000n);
    for (const [field, value] of Object.entries(expected)) {
      // VictoriaMetrics keeps every value as a float64.
      expect(stored[field]?.values, field).toEqual([Number(value)]);
      expect(stored[field]?.timestamps, field).toEqual([ms]);
    }
    expect(series[0]?.metric).toMatchObject({
      'otel.library.name': 'netbird-otel-metrics',
      deployment_type: 'cloud',
      version: '0.60.2',
    });
  });
});

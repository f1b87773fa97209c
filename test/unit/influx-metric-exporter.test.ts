import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  type DataPoint,
  type Histogram,
  InstrumentType,
  MeterProvider,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { InfluxLineProtocolExporter } from '../../src/exporters/influxdb/influx-metric-exporter.js';
import {
  formatDecimal,
  hrTimeToNs,
  newSerializeStats,
  resourceMetricsToLines,
} from '../../src/exporters/influxdb/otel-to-line-protocol.js';
import { prometheusMetricName, unitSuffix } from '../../src/exporters/otel/prometheus-naming.js';
import { parseLine } from '../../src/protocol/line-protocol/parse.js';
import { TestReader } from '../helpers/test-reader.js';

function setup(
  temporality: 'delta' | 'cumulative' = 'delta',
  views: ConstructorParameters<typeof MeterProvider>[0] = {},
) {
  const exporter = new InfluxLineProtocolExporter({
    url: 'http://127.0.0.1:1',
    database: 'x',
    temporality,
  });
  const reader = new TestReader({
    aggregationTemporalitySelector: (t) => exporter.selectAggregationTemporality(t),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', 'host.id': 'h1', 'k.num': 7 }),
    readers: [reader],
    ...views,
  });
  const meter = provider.getMeter('scope-a', '1.2.3');
  return { exporter, reader, provider, meter };
}

function points(
  rm: ResourceMetrics,
  name: string,
): { metric: MetricData; points: DataPoint<unknown>[] } {
  for (const s of rm.scopeMetrics) {
    for (const m of s.metrics) {
      if (m.descriptor.name === name)
        return { metric: m, points: m.dataPoints as DataPoint<unknown>[] };
    }
  }
  throw new Error(`no metric ${name}`);
}

describe('resourceMetricsToLines (telegraf-prometheus-v1 layout)', () => {
  it('writes a histogram as count, sum, min, max and cumulative le buckets named by bound', async () => {
    const { reader, meter } = setup();
    const h = meter.createHistogram('netbird.peer.connection.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.5, 1, 5] },
    });
    for (const v of [0.3, 0.7, 0.9, 2]) h.record(v, { stage: 'total', connection_type: 'ice_p2p' });
    const rm = await reader.collectMetrics();
    const lines = resourceMetricsToLines(rm);
    expect(lines).toHaveLength(1);
    const line = parseLine(lines[0] as string);
    expect(line.measurement).toBe('netbird_peer_connection_duration_seconds');
    expect(line.fields).toEqual({
      count: 4,
      sum: 0.3 + 0.7 + 0.9 + 2,
      min: 0.3,
      max: 2,
      '0.5': 1,
      '1': 3,
      '5': 4,
      '+Inf': 4,
    });
    const { points: dps } = points(rm, 'netbird.peer.connection.duration');
    expect(line.timestampNs).toBe(hrTimeToNs(dps[0]?.endTime ?? [0, 0]));
  });

  it('tags resource attributes, scope name/version and point attributes, sorted by key', async () => {
    const { reader, meter } = setup();
    meter.createCounter('c').add(1, { zeta: 'z', alpha: 'a', flag: true, n: 2.5, empty: '' });
    const lines = resourceMetricsToLines(await reader.collectMetrics());
    const line = parseLine(lines[0] as string);
    expect(line.tags).toMatchObject({
      'service.name': 'svc',
      'host.id': 'h1',
      'k.num': '7',
      'otel.library.name': 'scope-a',
      'otel.library.version': '1.2.3',
      zeta: 'z',
      alpha: 'a',
      flag: 'true',
      n: '2.5',
    });
    expect(line.tags).not.toHaveProperty('empty');
    const keys = Object.keys(line.tags);
    expect(keys).toEqual([...keys].sort());
  });

  it('writes array attributes as JSON (escaped for line protocol)', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1, { list: ['x', 'y'] });
    const [line] = resourceMetricsToLines(await reader.collectMetrics());
    expect(line).toContain(',list=["x"\\,"y"],');
  });

  it('lets a point attribute win over a resource attribute of the same name', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1, { 'host.id': 'from-point' });
    const line = parseLine(resourceMetricsToLines(await reader.collectMetrics())[0] as string);
    expect(line.tags['host.id']).toBe('from-point');
  });

  it('writes a monotonic cumulative sum as `counter`, anything else as `gauge`', async () => {
    const cumulative = setup('cumulative');
    cumulative.meter.createCounter('requests', { unit: '{request}' }).add(5);
    const [c] = resourceMetricsToLines(await cumulative.reader.collectMetrics());
    expect(parseLine(c as string)).toMatchObject({
      measurement: 'requests_total',
      fields: { counter: 5 },
    });

    const delta = setup('delta');
    delta.meter.createCounter('requests').add(5);
    delta.meter.createUpDownCounter('queue.depth', { unit: 'By' }).add(-3);
    delta.meter.createGauge('temperature', { unit: 'Cel' }).record(21.5);
    const lines = resourceMetricsToLines(await delta.reader.collectMetrics()).map(parseLine);
    expect(lines.map((l) => [l.measurement, l.fields])).toEqual([
      ['requests_total', { gauge: 5 }],
      ['queue_depth_bytes', { gauge: -3 }],
      ['temperature_celsius', { gauge: 21.5 }],
    ]);
  });

  it('stamps each point with its end time in nanoseconds', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1);
    const rm = await reader.collectMetrics();
    const { points: dps } = points(rm, 'g');
    const end = dps[0]?.endTime ?? [0, 0];
    const [line] = resourceMetricsToLines(rm);
    expect(line?.endsWith(` ${end[0]}${String(end[1]).padStart(9, '0')}`)).toBe(true);
  });

  it('skips exponential histograms and counts them', async () => {
    const { reader, meter } = setup('delta', {
      views: [
        { instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    });
    meter.createHistogram('exp').record(1, { a: '1' });
    meter.createHistogram('exp').record(2, { a: '2' });
    meter.createGauge('kept').record(1);
    const stats = newSerializeStats();
    const lines = resourceMetricsToLines(await reader.collectMetrics(), stats);
    expect(lines.map((l) => parseLine(l).measurement)).toEqual(['kept']);
    expect(stats).toMatchObject({ lines: 1, skippedExponentialHistograms: 2 });
  });

  it('skips points with NaN or infinite values and counts them', async () => {
    const { reader, meter } = setup();
    meter.createGauge('nan').record(Number.NaN);
    meter.createObservableGauge('inf').addCallback((r) => r.observe(Number.POSITIVE_INFINITY));
    meter.createHistogram('hist-inf').record(Number.POSITIVE_INFINITY); // sum = Infinity
    meter.createGauge('fine').record(2);
    const stats = newSerializeStats();
    const lines = resourceMetricsToLines(await reader.collectMetrics(), stats);
    expect(lines.map((l) => parseLine(l).measurement)).toEqual(['fine']);
    expect(stats.skippedNonFinite).toBe(3);
  });

  it('leaves out min and max of an empty cumulative histogram instead of writing infinities', async () => {
    const { reader, meter } = setup('cumulative');
    meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1] } }).record(0.5);
    await reader.collectMetrics();
    // A second cumulative collection keeps the point; min/max stay the recorded ones.
    const rm = await reader.collectMetrics();
    const { points: dps } = points(rm, 'h');
    const value = dps[0]?.value as Histogram;
    const edited: ResourceMetrics = {
      ...rm,
      scopeMetrics: rm.scopeMetrics.map((s) => ({
        ...s,
        metrics: s.metrics.map((m) => ({
          ...m,
          dataPoints: [
            {
              ...(dps[0] as DataPoint<Histogram>),
              value: {
                ...value,
                count: 0,
                sum: 0,
                min: Infinity,
                max: -Infinity,
                buckets: { boundaries: [1], counts: [0, 0] },
              },
            },
          ],
        })) as MetricData[],
      })),
    };
    const [line] = resourceMetricsToLines(edited);
    expect(parseLine(line as string).fields).toEqual({ count: 0, sum: 0, '1': 0, '+Inf': 0 });
  });
});

describe('naming', () => {
  it.each([
    [
      'netbird.peer.connection.duration',
      's',
      'histogram',
      'netbird_peer_connection_duration_seconds',
    ],
    [
      'netbird.metrics.push.samples_sent',
      '{sample}',
      'counter',
      'netbird_metrics_push_samples_sent_total',
    ],
    ['http.server.duration', 'ms', 'histogram', 'http_server_duration_milliseconds'],
    ['process.memory', 'By', 'gauge', 'process_memory_bytes'],
    ['net.io', 'By/s', 'gauge', 'net_io_bytes_per_second'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['latency_seconds', 's', 'histogram', 'latency_seconds'],
    ['9lives', '', 'gauge', '_9lives'],
    ['a-b..c', 'widgets', 'gauge', 'a_b_c_widgets'],
  ] as const)('%s [%s] %s → %s', (name, unit, kind, expected) => {
    expect(prometheusMetricName(name, unit, kind)).toBe(expected);
  });

  it('drops annotations and keeps unknown units as words', () => {
    expect(unitSuffix('{packets}', 'counter')).toBe('');
    expect(unitSuffix('m/s', 'gauge')).toBe('meters_per_second');
    expect(unitSuffix('1', 'counter')).toBe('');
  });

  it.each([
    [0.005, '0.005'],
    [1, '1'],
    [86400, '86400'],
    [1e-7, '0.0000001'],
    [1.5e-7, '0.00000015'],
    [1e21, '1000000000000000000000'],
    [1.2345e22, '12345000000000000000000'],
    [-2.5e-8, '-0.000000025'],
  ])('bucket bound %d is named %s', (value, text) => {
    expect(formatDecimal(value)).toBe(text);
    expect(Number(text)).toBe(value);
  });
});

describe('InfluxLineProtocolExporter: temporality', () => {
  it('selects delta for everything but up-down counters, and always the same answer', () => {
    const e = new InfluxLineProtocolExporter({ url: 'http://127.0.0.1:1', database: 'x' });
    for (let i = 0; i < 2; i++) {
      expect(e.selectAggregationTemporality(InstrumentType.COUNTER)).toBe(
        AggregationTemporality.DELTA,
      );
      expect(e.selectAggregationTemporality(InstrumentType.HISTOGRAM)).toBe(
        AggregationTemporality.DELTA,
      );
      expect(e.selectAggregationTemporality(InstrumentType.OBSERVABLE_COUNTER)).toBe(
        AggregationTemporality.DELTA,
      );
      expect(e.selectAggregationTemporality(InstrumentType.UP_DOWN_COUNTER)).toBe(
        AggregationTemporality.CUMULATIVE,
      );
      expect(e.selectAggregationTemporality(InstrumentType.OBSERVABLE_UP_DOWN_COUNTER)).toBe(
        AggregationTemporality.CUMULATIVE,
      );
    }
    const c = new InfluxLineProtocolExporter({
      url: 'http://127.0.0.1:1',
      database: 'x',
      temporality: 'cumulative',
    });
    expect(c.selectAggregationTemporality(InstrumentType.HISTOGRAM)).toBe(
      AggregationTemporality.CUMULATIVE,
    );
  });

  it('under delta, a quiet series is not written again', async () => {
    const { reader, meter } = setup('delta');
    const h = meter.createHistogram('h', { valueType: ValueType.DOUBLE });
    h.record(1, { a: 'x' });
    expect(resourceMetricsToLines(await reader.collectMetrics())).toHaveLength(1);
    h.record(1, { a: 'y' });
    const lines = resourceMetricsToLines(await reader.collectMetrics());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('a=y');
  });
});

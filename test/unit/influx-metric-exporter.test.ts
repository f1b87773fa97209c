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
  DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES,
  resourceAttributeFilter,
} from '../../src/exporters/influxdb/otel-tags.js';
import {
  hrTimeToNs,
  newSerializeStats,
  resourceMetricsToLines,
} from '../../src/exporters/influxdb/otel-to-line-protocol.js';
import { formatDecimal } from '../../src/exporters/influxdb/telegraf-schemas.js';
import { parseLine } from '../../src/protocol/line-protocol/parse.js';
import { END_NS, handBuiltResourceMetrics, START_NS } from '../helpers/hand-built-metrics.js';
import { TestReader } from '../helpers/test-reader.js';

function setup(
  temporality: 'delta' | 'cumulative' = 'cumulative',
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

/**
 * A line read back, with integer fields (`12i`) told apart: the protocol parser reads the
 * float fields our own encoder writes, so integers are taken out first and kept as bigint.
 */
function read(line: string) {
  const integers: Record<string, bigint> = {};
  const floatsOnly = line.replace(/([ ,])([^ ,=]+)=(-?\d+)i(?=[ ,])/g, (_, sep, key, digits) => {
    integers[key] = BigInt(digits);
    return `${sep}${key}=0`;
  });
  const parsed = parseLine(floatsOnly);
  const fields: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed.fields)) {
    if (!(key in integers)) fields[key] = value;
  }
  return { ...parsed, fields, integers };
}

// Tags every line of the hand-built metrics carries: the resource's, less the per-process
// attributes left out by default (`process.pid`, `process.command_args`).
const RESOURCE = 'deployment.environment=prod,host.name=web-1';
const SERVICE = 'service.name=checkout';
const SHOP = 'otel.library.name=shop,otel.library.version=2.1.0';
const RUNTIME = 'otel.library.name=runtime';
const START = `start_time_unix_nano=${START_NS}i`;

describe('resourceMetricsToLines: the collector influxdb exporter layouts, line for line', () => {
  it('telegraf-prometheus-v1 (the default)', () => {
    // Measurement = metric name. Cumulative monotonic sum → `counter`; up-down sum, gauge and
    // delta sum → `gauge`; integer instruments as integer fields. Histogram: `count` and the
    // cumulative bucket counts named by bound (1, 1+2, 1+2+0, all 4 under +Inf), `sum`,
    // `min`, `max`. Every point: `start_time_unix_nano` as an integer, the end time as its
    // timestamp. Tags sorted by key; `otel.library.version` only when the scope has one.
    const expected = [
      `http.requests,${RESOURCE},method=GET,${SHOP},${SERVICE},status=200 counter=42i,${START} ${END_NS}`,
      `queue.depth,${RESOURCE},${SHOP},queue=orders,${SERVICE} gauge=-3.5,${START} ${END_NS}`,
      `cpu.temperature,${RESOURCE},${SHOP},${SERVICE} gauge=71.25,${START} ${END_NS}`,
      `jobs.done,${RESOURCE},${SHOP},${SERVICE} gauge=7i,${START} ${END_NS}`,
      `http.server.duration,${RESOURCE},method=POST,${RUNTIME},route=/cart,${SERVICE} +Inf=4,0.005=1,10=3,100=3,count=4,max=180,min=0.004,${START},sum=250.75 ${END_NS}`,
    ];
    expect(resourceMetricsToLines(handBuiltResourceMetrics())).toEqual(expected);
    expect(
      resourceMetricsToLines(handBuiltResourceMetrics(), newSerializeStats(), {
        schema: 'telegraf-prometheus-v1',
      }),
    ).toEqual(expected);
  });

  it('telegraf-prometheus-v2', () => {
    // Measurement `prometheus`, fields named by the metric; a histogram is one line with
    // `<name>_count`, `_max`, `_min`, `_sum`, then one line per bucket with tag `le` and the
    // cumulative count in `<name>_bucket` (bucket lines carry no start time).
    const H = 'http.server.duration';
    const histogramTags = (le?: string) =>
      `${RESOURCE},${le === undefined ? '' : `le=${le},`}method=POST,${RUNTIME},route=/cart,${SERVICE}`;
    expect(
      resourceMetricsToLines(handBuiltResourceMetrics(), newSerializeStats(), {
        schema: 'telegraf-prometheus-v2',
      }),
    ).toEqual([
      `prometheus,${RESOURCE},method=GET,${SHOP},${SERVICE},status=200 http.requests=42i,${START} ${END_NS}`,
      `prometheus,${RESOURCE},${SHOP},queue=orders,${SERVICE} queue.depth=-3.5,${START} ${END_NS}`,
      `prometheus,${RESOURCE},${SHOP},${SERVICE} cpu.temperature=71.25,${START} ${END_NS}`,
      `prometheus,${RESOURCE},${SHOP},${SERVICE} jobs.done=7i,${START} ${END_NS}`,
      `prometheus,${histogramTags()} ${H}_count=4,${H}_max=180,${H}_min=0.004,${H}_sum=250.75,${START} ${END_NS}`,
      `prometheus,${histogramTags('0.005')} ${H}_bucket=1 ${END_NS}`,
      `prometheus,${histogramTags('10')} ${H}_bucket=3 ${END_NS}`,
      `prometheus,${histogramTags('100')} ${H}_bucket=3 ${END_NS}`,
      `prometheus,${histogramTags('+Inf')} ${H}_bucket=4 ${END_NS}`,
    ]);
  });

  it('counts the lines it wrote', () => {
    const stats = newSerializeStats();
    resourceMetricsToLines(handBuiltResourceMetrics(), stats, { schema: 'telegraf-prometheus-v2' });
    expect(stats).toEqual({
      lines: 9,
      skippedExponentialHistograms: 0,
      skippedNonFinite: 0,
      replacedChars: 0,
    });
  });
});

describe('resourceMetricsToLines: resource attributes that change at every process start', () => {
  it('leaves out those NodeSDK detectors set per process, by default', () => {
    expect(DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES).toEqual([
      'process.pid',
      'process.command_args',
      'process.command',
      'process.executable.path',
      'service.instance.id',
    ]);
    const rm: ResourceMetrics = {
      ...handBuiltResourceMetrics(),
      resource: resourceFromAttributes({
        'service.name': 'svc',
        'service.instance.id': '0b6b6f1e-5c1a-4a0e-9b7e-1f2d3c4b5a69',
        'process.pid': 1,
        'process.command': '/srv/app.js',
        'process.command_args': ['node', '/srv/app.js'],
        'process.executable.path': '/usr/bin/node',
        'process.executable.name': 'node',
        'process.runtime.version': '20.19.0',
        'host.name': 'web-1',
      }),
    };
    const tags = read(resourceMetricsToLines(rm)[0] as string).tags;
    expect(Object.keys(tags)).toEqual([
      'host.name',
      'method',
      'otel.library.name',
      'otel.library.version',
      'process.executable.name',
      'process.runtime.version',
      'service.name',
      'status',
    ]);
  });

  it('writes every resource attribute with an empty list, and takes prefixes ending in *', () => {
    const all = resourceMetricsToLines(handBuiltResourceMetrics(), newSerializeStats(), {
      excludeResourceAttributes: [],
    });
    expect(read(all[0] as string).tags).toMatchObject({
      'process.pid': '4242',
      'process.command_args': '["/usr/bin/node","/srv/app.js"]',
    });
    expect(all[0]).toContain(',process.command_args=["/usr/bin/node"\\,"/srv/app.js"],');
    const lines = resourceMetricsToLines(handBuiltResourceMetrics(), newSerializeStats(), {
      excludeResourceAttributes: ['process.*', 'deployment.environment'],
    });
    expect(lines[0]).toBe(
      `http.requests,host.name=web-1,method=GET,${SHOP},${SERVICE},status=200 counter=42i,${START} ${END_NS}`,
    );
  });
});

describe('resourceAttributeFilter', () => {
  it('matches exact keys, and prefixes only where the entry ends in *', () => {
    const excluded = resourceAttributeFilter(['process.pid', 'k8s.pod.*']);
    expect(excluded('process.pid')).toBe(true);
    expect(excluded('process.pidfile')).toBe(false);
    expect(excluded('k8s.pod.uid')).toBe(true);
    expect(excluded('k8s.pod')).toBe(false);
    expect(excluded('k8s.namespace.name')).toBe(false);
  });
});

describe('resourceMetricsToLines: from a MeterProvider', () => {
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
    const line = read(lines[0] as string);
    expect(line.measurement).toBe('netbird.peer.connection.duration');
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
    expect(line.integers).toEqual({
      start_time_unix_nano: hrTimeToNs(dps[0]?.startTime ?? [0, 0]),
    });
  });

  it('tags resource attributes, scope name/version and point attributes, sorted by key', async () => {
    const { reader, meter } = setup();
    meter.createCounter('c').add(1, { zeta: 'z', alpha: 'a', flag: true, n: 2.5, empty: '' });
    const lines = resourceMetricsToLines(await reader.collectMetrics());
    const line = read(lines[0] as string);
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

  it('escapes commas, spaces and equals signs in names and tags', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1, { 'a key': 'x=1, y' });
    const [line] = resourceMetricsToLines(await reader.collectMetrics());
    expect(line?.startsWith('g,a\\ key=x\\=1\\,\\ y,')).toBe(true);
    expect(read(line as string).tags['a key']).toBe('x=1, y');
  });

  it('lets a point attribute win over a resource attribute of the same name', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1, { 'host.id': 'from-point' });
    const line = read(resourceMetricsToLines(await reader.collectMetrics())[0] as string);
    expect(line.tags['host.id']).toBe('from-point');
  });

  it('writes a monotonic cumulative sum as `counter`, anything else as `gauge`', async () => {
    const cumulative = setup('cumulative');
    cumulative.meter.createCounter('requests', { unit: '{request}' }).add(5);
    const [c] = resourceMetricsToLines(await cumulative.reader.collectMetrics());
    expect(read(c as string)).toMatchObject({ measurement: 'requests', fields: { counter: 5 } });

    const delta = setup('delta');
    delta.meter.createCounter('requests').add(5);
    delta.meter.createUpDownCounter('queue.depth', { unit: 'By' }).add(-3);
    delta.meter.createGauge('temperature', { unit: 'Cel' }).record(21.5);
    const lines = resourceMetricsToLines(await delta.reader.collectMetrics()).map(read);
    expect(lines.map((l) => [l.measurement, l.fields])).toEqual([
      ['requests', { gauge: 5 }],
      ['queue.depth', { gauge: -3 }],
      ['temperature', { gauge: 21.5 }],
    ]);
  });

  it('writes integer instruments as integer fields, truncated as the SDK records them', async () => {
    const { reader, meter } = setup();
    meter.createCounter('ints', { valueType: ValueType.INT }).add(3);
    meter.createGauge('int.gauge', { valueType: ValueType.INT }).record(-12);
    const [ints, gauge] = resourceMetricsToLines(await reader.collectMetrics());
    expect(ints).toMatch(/^ints,\S+ counter=3i,start_time_unix_nano=\d+i \d+$/);
    expect(gauge).toMatch(/^int\.gauge,\S+ gauge=-12i,start_time_unix_nano=\d+i \d+$/);
  });

  it('stamps each point with its end time and writes its start time, in nanoseconds', async () => {
    const { reader, meter } = setup();
    meter.createGauge('g').record(1);
    const rm = await reader.collectMetrics();
    const { points: dps } = points(rm, 'g');
    const end = dps[0]?.endTime ?? [0, 0];
    const start = dps[0]?.startTime ?? [0, 0];
    const [line] = resourceMetricsToLines(rm);
    const ns = (t: readonly [number, number]) => `${t[0]}${String(t[1]).padStart(9, '0')}`;
    expect(line?.endsWith(`,start_time_unix_nano=${ns(start)}i ${ns(end)}`)).toBe(true);
  });

  it('leaves out start_time_unix_nano when a point has no start time', () => {
    const rm = handBuiltResourceMetrics();
    const gauge = rm.scopeMetrics[0]?.metrics[2] as MetricData;
    const edited: ResourceMetrics = {
      ...rm,
      scopeMetrics: [
        {
          ...(rm.scopeMetrics[0] as ResourceMetrics['scopeMetrics'][number]),
          metrics: [
            {
              ...gauge,
              dataPoints: [{ ...(gauge.dataPoints[0] as DataPoint<number>), startTime: [0, 0] }],
            } as MetricData,
          ],
        },
      ],
    };
    expect(resourceMetricsToLines(edited)).toEqual([
      `cpu.temperature,${RESOURCE},${SHOP},${SERVICE} gauge=71.25 ${END_NS}`,
    ]);
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
    expect(lines.map((l) => read(l).measurement)).toEqual(['kept']);
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
    expect(lines.map((l) => read(l).measurement)).toEqual(['fine']);
    expect(stats.skippedNonFinite).toBe(3);
  });

  it('skips an integer beyond int64 and counts it', () => {
    const rm = handBuiltResourceMetrics();
    const counter = rm.scopeMetrics[0]?.metrics[0] as MetricData;
    const big = { ...(counter.dataPoints[0] as DataPoint<number>), value: 2 ** 63 };
    const edited: ResourceMetrics = {
      ...rm,
      scopeMetrics: [
        {
          ...(rm.scopeMetrics[0] as ResourceMetrics['scopeMetrics'][number]),
          metrics: [{ ...counter, dataPoints: [big] } as MetricData],
        },
      ],
    };
    const stats = newSerializeStats();
    expect(resourceMetricsToLines(edited, stats)).toEqual([]);
    expect(stats.skippedNonFinite).toBe(1);
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
    expect(read(line as string).fields).toEqual({ count: 0, sum: 0, '1': 0, '+Inf': 0 });
  });
});

describe('bucket bound names', () => {
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

describe('InfluxLineProtocolExporter: options', () => {
  it('selects cumulative by default, and always the same answer', () => {
    const e = new InfluxLineProtocolExporter({ url: 'http://127.0.0.1:1', database: 'x' });
    for (let i = 0; i < 2; i++) {
      for (const type of Object.values(InstrumentType)) {
        expect(e.selectAggregationTemporality(type), type).toBe(AggregationTemporality.CUMULATIVE);
      }
    }
  });

  it('with temporality delta, selects delta for everything but up-down counters', () => {
    const e = new InfluxLineProtocolExporter({
      url: 'http://127.0.0.1:1',
      database: 'x',
      temporality: 'delta',
    });
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

  it('refuses an unknown schema', () => {
    expect(
      () =>
        new InfluxLineProtocolExporter({
          url: 'http://127.0.0.1:1',
          database: 'x',
          schema: 'otel-v1' as 'telegraf-prometheus-v1',
        }),
    ).toThrow(/schema/);
  });
});

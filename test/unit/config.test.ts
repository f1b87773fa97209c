import { DiagLogLevel, diag } from '@opentelemetry/api';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, unwrap } from '../../src/config/config-error.js';
import type { Env } from '../../src/config/env.js';
import {
  CONFIG_DEFAULTS,
  type MetricsExportOptions,
  resolveConfig,
} from '../../src/exporters/export-config.js';
import { buildPipeline } from '../../src/exporters/otel/pipeline.js';
import { PrometheusEndpoint } from '../../src/exporters/otel/prometheus.js';
import { createClientMetrics } from '../../src/index.js';
import { testProvider } from '../helpers/test-reader.js';
import { freePort } from '../setup/backends.js';

const resolve = (env: Env, options?: MetricsExportOptions) => unwrap(resolveConfig(env, options));
function problems(env: Env, options?: MetricsExportOptions): string[] {
  const r = resolveConfig(env, options);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('resolveConfig: exporters', () => {
  it('defaults to influx only: collection on, push off, no OTel readers', () => {
    const c = resolve({});
    expect([...c.exporters]).toEqual(['influx']);
    expect(c.push).toMatchObject({ enabled: false });
    expect(c.otlp).toBeUndefined();
    expect(c.prometheus).toBeUndefined();
    expect(buildPipeline(c)).toBeUndefined();
  });

  it('reads a comma list and lets the option win', () => {
    expect(
      [...resolve({ NB_METRICS_EXPORTER: ' otlp , prometheus,console ' }).exporters].sort(),
    ).toEqual(['console', 'otlp', 'prometheus']);
    expect([
      ...resolve({ NB_METRICS_EXPORTER: 'otlp' }, { exporters: ['influx'] }).exporters,
    ]).toEqual(['influx']);
  });

  it('none means nothing leaves the process', () => {
    const c = resolve({ NB_METRICS_EXPORTER: 'none' });
    expect(c.exporters.size).toBe(0);
    expect(c.push).toBeUndefined();
  });

  it.each([
    ['influxdb', 'unknown exporter "influxdb"'],
    ['none,otlp', '"none" cannot be combined'],
    [',', 'empty exporter list'],
    ['OTLP', 'unknown exporter "OTLP"'],
  ])('refuses NB_METRICS_EXPORTER=%s', (value, message) => {
    const [p] = problems({ NB_METRICS_EXPORTER: value });
    expect(p).toContain('NB_METRICS_EXPORTER');
    expect(p).toContain(message);
  });

  it('names the option when the programmatic list is bad', () => {
    expect(problems({}, { exporters: ['nope' as 'otlp'] })[0]).toContain('option exporters');
  });
});

describe('resolveConfig: OTLP', () => {
  const otlp = (env: Env, options?: MetricsExportOptions) =>
    resolve({ NB_METRICS_EXPORTER: 'otlp', ...env }, options).otlp;

  it('has the OTel defaults, protobuf first', () => {
    expect(otlp({})).toEqual({
      url: 'http://localhost:4318/v1/metrics',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMillis: 10_000,
      compression: 'none',
      temporalityPreference: 'cumulative',
    });
  });

  it('appends v1/metrics to the general endpoint and uses the metrics endpoint as given', () => {
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })?.url).toBe(
      'http://c:4318/v1/metrics',
    );
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base/' })?.url).toBe(
      'http://c:4318/base/v1/metrics',
    );
    expect(
      otlp({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m/x',
      })?.url,
    ).toBe('http://m/x');
    expect(
      otlp({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m/x' }, { otlp: { url: 'http://o/y' } })
        ?.url,
    ).toBe('http://o/y');
  });

  it('merges headers: general, then metrics-specific, then options; values percent-decoded', () => {
    expect(
      otlp(
        {
          OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=two%20words, c = 3 ',
          OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=metrics',
        },
        { otlp: { headers: { c: 'option' } } },
      )?.headers,
    ).toEqual({ a: '1', b: 'metrics', c: 'option' });
  });

  it('reads protocol, timeout, compression and temporality (signal-specific first)', () => {
    expect(
      otlp({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2500',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory',
      }),
    ).toMatchObject({
      protocol: 'http/json',
      timeoutMillis: 2500,
      compression: 'gzip',
      temporalityPreference: 'lowmemory',
    });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="grpc"'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_PROTOCOL="http"'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318": expected an absolute http or https URL',
    ],
    [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'nope' }, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="nope"'],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' },
      'OTEL_EXPORTER_OTLP_HEADERS: invalid entry "novalue"',
    ],
    [{ OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'a=%E0%A4%A' }, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, 'OTEL_EXPORTER_OTLP_TIMEOUT="10s"'],
    [{ OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '0' }, 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT="0"'],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION="zstd"'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
      'TEMPORALITY_PREFERENCE="sometimes"',
    ],
  ])('names the variable of an invalid value: %j', (env, message) => {
    expect(problems({ NB_METRICS_EXPORTER: 'otlp', ...env }).join('\n')).toContain(message);
  });

  it('ignores OTLP variables when otlp is not selected (another OTel setup may own them)', () => {
    expect(
      resolveConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TIMEOUT: 'x' }).ok,
    ).toBe(true);
  });
});

describe('resolveConfig: periodic readers, resource, Prometheus', () => {
  it('reads OTEL_METRIC_EXPORT_INTERVAL/TIMEOUT and clamps the default timeout to the interval', () => {
    expect(resolve({ NB_METRICS_EXPORTER: 'console' }).periodic).toEqual({
      exportIntervalMillis: 60_000,
      exportTimeoutMillis: 30_000,
    });
    expect(
      resolve({ NB_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '5000' }).periodic,
    ).toEqual({
      exportIntervalMillis: 5000,
      exportTimeoutMillis: 5000,
    });
    expect(
      resolve(
        { NB_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '5000' },
        { exportIntervalMillis: 1000 },
      ).periodic?.exportIntervalMillis,
    ).toBe(1000);
  });

  it('refuses an explicit timeout longer than the interval, naming both', () => {
    const [p] = problems({
      NB_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_METRIC_EXPORT_TIMEOUT: '2000',
    });
    expect(p).toContain('OTEL_METRIC_EXPORT_TIMEOUT=2000');
    expect(p).toContain('OTEL_METRIC_EXPORT_INTERVAL=1000');
    expect(
      problems({ NB_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '-1' })[0],
    ).toContain('OTEL_METRIC_EXPORT_INTERVAL="-1"');
  });

  it('builds the resource: service name from option, OTEL_SERVICE_NAME, attributes, default', () => {
    const attrs = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,team=net%2Cops' };
    expect(resolve(attrs).resource).toEqual({ 'service.name': 'from-attrs', team: 'net,ops' });
    expect(resolve({ ...attrs, OTEL_SERVICE_NAME: 'svc' }).resource['service.name']).toBe('svc');
    expect(
      resolve(
        { OTEL_SERVICE_NAME: 'svc' },
        { serviceName: 'opt', resourceAttributes: { team: 'x' } },
      ).resource,
    ).toEqual({ 'service.name': 'opt', team: 'x' });
    expect(resolve({}).resource).toEqual({ 'service.name': CONFIG_DEFAULTS.serviceName });
    expect(problems({ OTEL_RESOURCE_ATTRIBUTES: 'a=1,broken' })[0]).toContain(
      'OTEL_RESOURCE_ATTRIBUTES',
    );
  });

  it('reads the Prometheus host and port, loopback and 9464 by default', () => {
    expect(resolve({ NB_METRICS_EXPORTER: 'prometheus' }).prometheus).toEqual({
      host: '127.0.0.1',
      port: 9464,
      endpoint: '/metrics',
    });
    expect(
      resolve({
        NB_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
        OTEL_EXPORTER_PROMETHEUS_PORT: '9100',
      }).prometheus,
    ).toMatchObject({ host: '0.0.0.0', port: 9100 });
    for (const port of ['0', '65536', 'http', '-1']) {
      expect(
        problems({ NB_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: port })[0],
      ).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
    }
    expect(
      problems({ NB_METRICS_EXPORTER: 'prometheus' }, { prometheus: { endpoint: 'x' } })[0],
    ).toContain('prometheus.endpoint');
  });

  it('collects the push problems too, but only when influx is selected', () => {
    expect(problems({ NB_METRICS_INTERVAL: 'often' })[0]).toContain('NB_METRICS_INTERVAL');
    expect(resolveConfig({ NB_METRICS_EXPORTER: 'otlp', NB_METRICS_INTERVAL: 'often' }).ok).toBe(
      true,
    );
  });

  it('reports every problem at once', () => {
    expect(
      problems({
        NB_METRICS_EXPORTER: 'influx,otlp',
        NB_METRICS_PUSH_ENABLED: 'maybe',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
        OTEL_RESOURCE_ATTRIBUTES: 'x',
      }),
    ).toHaveLength(3);
  });
});

describe('buildPipeline', () => {
  it('builds one reader per selected OTel exporter on a provider of its own', async () => {
    const port = await freePort();
    const config = resolve({
      NB_METRICS_EXPORTER: 'influx,otlp,console,prometheus',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    const pipeline = buildPipeline(config);
    try {
      expect(pipeline?.readers).toHaveLength(3);
      expect(pipeline?.readers[0]).toBeInstanceOf(PeriodicExportingMetricReader); // otlp
      expect(pipeline?.readers[1]).toBeInstanceOf(PeriodicExportingMetricReader); // console
      expect(pipeline?.readers[2]).toBeInstanceOf(PrometheusEndpoint);
      await pipeline?.ready;
    } finally {
      await pipeline?.meterProvider.shutdown();
    }
  });

  it('rejects `ready` when the Prometheus port is taken', async () => {
    const port = await freePort();
    const first = buildPipeline(
      resolve({ NB_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) }),
    );
    await first?.ready;
    // The exporter reports the failed start through diag; keep the test output quiet.
    diag.setLogger(
      { error() {}, warn() {}, info() {}, debug() {}, verbose() {} },
      DiagLogLevel.NONE,
    );
    const second = buildPipeline(
      resolve({ NB_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) }),
    );
    try {
      await expect(second?.ready).rejects.toThrow(/EADDRINUSE/);
    } finally {
      diag.disable();
      await second?.meterProvider.shutdown();
      await first?.meterProvider.shutdown();
    }
  });
});

describe('createClientMetrics and configuration', () => {
  const warnings: string[] = [];
  afterEach(() => {
    diag.disable();
    warnings.length = 0;
  });

  it('in strict mode throws a ConfigError naming the variable', () => {
    expect(() =>
      createClientMetrics({
        version: '1.0.0',
        env: { NB_METRICS_PUSH_ENABLED: 'yes' },
        strictConfig: true,
      }),
    ).toThrow(ConfigError);
    expect(() =>
      createClientMetrics({
        version: '1.0.0',
        env: {
          NB_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_TIMEOUT: '1m',
          NB_METRICS_STRICT_CONFIG: 'true',
        },
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_TIMEOUT="1m"/);
  });

  it('otherwise warns once, naming the variable, and carries on', async () => {
    diag.setLogger(
      { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    const m = createClientMetrics({ version: '1.0.0', env: { NB_METRICS_PUSH_ENABLED: 'yes' } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('NB_METRICS_PUSH_ENABLED="yes"');
    expect(m.stats().push.running).toBe(false);
    await m.shutdown();
  });

  it('with the application\u2019s MeterProvider builds no exporters and says so', async () => {
    diag.setLogger(
      { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    const { provider, reader } = testProvider();
    const m = createClientMetrics({
      version: '1.0.0',
      meterProvider: provider,
      env: { NB_METRICS_EXPORTER: 'otlp,prometheus' },
    });
    m.recordSync(0.5);
    const rm = await reader.collectMetrics();
    expect(rm.scopeMetrics[0]?.metrics.map((x) => x.descriptor.name)).toContain(
      'netbird.sync.duration',
    );
    expect(warnings.some((w) => w.includes('exporters otlp, prometheus are not built'))).toBe(true);
    await m.shutdown();
  });
});

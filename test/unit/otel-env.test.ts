import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, unwrap } from '../../src/config/config-error.js';
import type { Env } from '../../src/config/env.js';
import {
  OTEL_IGNORED,
  OTEL_READ_BY_EXPORTER,
  OTEL_VARIABLES,
} from '../../src/config/otel-variables.js';
import {
  type MetricsExportOptions,
  type ResolvedConfig,
  resolveConfig,
  settleConfig,
} from '../../src/exporters/export-config.js';
import { createOtlpExporter } from '../../src/exporters/otel/otlp.js';
import { resolvePushSettings } from '../../src/exporters/push/push-settings.js';
import { createClientMetrics } from '../../src/index.js';
import { TestReader, testProvider } from '../helpers/test-reader.js';

const warnings: string[] = [];
beforeEach(() => {
  diag.setLogger(
    { error() {}, warn: (m: string) => warnings.push(m), info() {}, debug() {}, verbose() {} },
    DiagLogLevel.WARN,
  );
});
afterEach(() => {
  diag.disable();
  warnings.length = 0;
  vi.unstubAllEnvs();
});

/** What a client uses: the resolution, settled the way ClientMetrics settles it. */
function settled(env: Env, options: MetricsExportOptions = {}): ResolvedConfig {
  return settleConfig(env, options, resolveConfig(env, options));
}

/** The one warning of a lenient resolution (fails unless there is exactly one). */
function warningOf(env: Env, options: MetricsExportOptions = {}): string {
  settled(env, options);
  expect(warnings).toHaveLength(1);
  return warnings[0] ?? '';
}

describe('OTEL_METRICS_EXPORTER', () => {
  it('selects the OpenTelemetry exporters next to the influx push, ignoring case', () => {
    expect([...settled({ OTEL_METRICS_EXPORTER: 'otlp,prometheus' }).exporters].sort()).toEqual([
      'influx',
      'otlp',
      'prometheus',
    ]);
    expect([...settled({ OTEL_METRICS_EXPORTER: ' OTLP , Console ' }).exporters].sort()).toEqual([
      'console',
      'influx',
      'otlp',
    ]);
    expect([...settled({ OTEL_METRICS_EXPORTER: 'none' }).exporters]).toEqual(['influx']);
    expect(warnings).toEqual([]);
  });

  it('loses to NB_METRICS_EXPORTER and to the exporters option', () => {
    const env = { OTEL_METRICS_EXPORTER: 'otlp', NB_METRICS_EXPORTER: 'prometheus' };
    expect([...settled(env).exporters]).toEqual(['prometheus']);
    expect([...settled(env, { exporters: ['console'] }).exporters]).toEqual(['console']);
  });

  it('is left to the application when it passes its own provider: no warning', async () => {
    const { provider } = testProvider();
    const m = createClientMetrics({
      version: '1.0.0',
      meterProvider: provider,
      env: { OTEL_METRICS_EXPORTER: 'otlp' },
    });
    expect(warnings).toEqual([]);
    await m.shutdown();
    await provider.shutdown();
  });

  it.each([
    ['zipkin', 'unknown exporter "zipkin"'],
    ['influx', 'unknown exporter "influx"'], // NetBird's own name belongs in NB_METRICS_EXPORTER
    ['none,otlp', '"none" cannot be combined'],
  ])('warns about %j and keeps the default', (value, message) => {
    const c = settled({ OTEL_METRICS_EXPORTER: value });
    expect([...c.exporters]).toEqual(['influx']);
    expect(warnings[0]).toContain(`OTEL_METRICS_EXPORTER=${JSON.stringify(value)}: ${message}`);
    expect(warnings[0]).toContain('using influx (the default)');
  });
});

describe('OTEL_SDK_DISABLED', () => {
  it('true (any case) removes every OpenTelemetry exporter of ours, not the push', () => {
    for (const value of ['true', 'TRUE', 'True']) {
      const c = settled({
        OTEL_SDK_DISABLED: value,
        NB_METRICS_EXPORTER: 'influx,otlp,prometheus,console',
      });
      expect(c.sdkDisabled).toBe(true);
      expect([...c.exporters]).toEqual(['influx']);
      expect(c.otlp).toBeUndefined();
      expect(c.prometheus).toBeUndefined();
      expect(c.push).toBeDefined();
    }
    expect(settled({ OTEL_SDK_DISABLED: 'false', NB_METRICS_EXPORTER: 'otlp' }).otlp).toBeDefined();
    expect(warnings).toEqual([]);
  });

  it('builds no provider (not even for extra readers) while recording still reaches the application', async () => {
    const extra = new TestReader();
    const m = createClientMetrics({
      version: '1.0.0',
      env: { OTEL_SDK_DISABLED: 'true', NB_METRICS_EXPORTER: 'otlp,prometheus' },
      metricReaders: [extra],
    });
    const { provider, reader } = testProvider();
    m.setMeterProvider(provider);
    m.recordSync(0.5);
    const names = (await reader.collectMetrics()).scopeMetrics.flatMap((s) =>
      s.metrics.map((x) => x.descriptor.name),
    );
    expect(names).toContain('netbird.sync.duration');
    // A reader no MeterProvider took has nothing to collect from.
    await expect(extra.collectMetrics()).rejects.toThrow();
    await m.shutdown();
    await provider.shutdown();
  });

  it('warns about a value that is not a boolean and stays enabled', () => {
    const c = settled({ OTEL_SDK_DISABLED: 'yes', NB_METRICS_EXPORTER: 'otlp' });
    expect(c.sdkDisabled).toBe(false);
    expect(c.otlp).toBeDefined();
    expect(warnings[0]).toContain('OTEL_SDK_DISABLED="yes": expected true or false; using false');
  });
});

describe('invalid values inside a host application', () => {
  const bad = {
    NB_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_METRIC_EXPORT_INTERVAL: 'soon',
    OTEL_EXPORTER_OTLP_TIMEOUT: '0',
  };

  it('never throw: one diag.warn names every variable and what is used instead', () => {
    const m = createClientMetrics({ version: '1.0.0', env: bad });
    expect(warnings).toHaveLength(1);
    const w = warnings[0] ?? '';
    expect(w).toContain('strictConfig or NB_METRICS_STRICT_CONFIG=true makes it an error');
    expect(w).toContain(
      'OTEL_EXPORTER_OTLP_PROTOCOL="grpc": expected http/protobuf or http/json (grpc is not supported); using "http/protobuf" (the default)',
    );
    expect(w).toContain('OTEL_METRIC_EXPORT_INTERVAL="soon"');
    expect(w).toContain('using 60000 (the default)');
    expect(w).toContain('OTEL_EXPORTER_OTLP_TIMEOUT="0"');
    expect(w).toContain('using 10000 (the default)');
    return m.shutdown();
  });

  it('apply the fallback: the next source, else the default', () => {
    const c = settled({
      NB_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: 'soon',
    });
    expect(c.otlp?.protocol).toBe('http/json');
    expect(c.periodic?.exportIntervalMillis).toBe(60_000);
    expect(warnings[0]).toContain('using "http/json" (from OTEL_EXPORTER_OTLP_PROTOCOL)');
  });

  it('clamp a timeout above the interval to the interval, with a warning', () => {
    const c = settled({
      NB_METRICS_EXPORTER: 'console',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_METRIC_EXPORT_TIMEOUT: '5000',
    });
    expect(c.periodic).toEqual({ exportIntervalMillis: 1000, exportTimeoutMillis: 1000 });
    expect(warnings[0]).toContain(
      'OTEL_METRIC_EXPORT_TIMEOUT=5000 is longer than OTEL_METRIC_EXPORT_INTERVAL=1000; using 1000 (the interval)',
    );
  });

  it('are not warned about twice for the same environment', () => {
    const env = { NB_METRICS_INTERVAL: 'often' };
    settled(env);
    settleConfig(env, {}, resolvePushSettings(env));
    expect(warnings).toHaveLength(1);
  });

  it('throw a ConfigError listing every problem in strict mode', () => {
    expect(() => createClientMetrics({ version: '1.0.0', env: bad, strictConfig: true })).toThrow(
      ConfigError,
    );
    for (const flag of ['1', 'true', 'T']) {
      try {
        createClientMetrics({ version: '1.0.0', env: { ...bad, NB_METRICS_STRICT_CONFIG: flag } });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toHaveLength(3);
      }
    }
    // The option wins over the variable.
    expect(() =>
      settled({ ...bad, NB_METRICS_STRICT_CONFIG: 'true' }, { strictConfig: false }),
    ).not.toThrow();
    expect(warnings).toHaveLength(1);
  });

  it('warn about an invalid NB_METRICS_STRICT_CONFIG itself', () => {
    expect(warningOf({ NB_METRICS_STRICT_CONFIG: 'yes' })).toContain(
      'NB_METRICS_STRICT_CONFIG="yes": expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False; using false (the default)',
    );
  });

  it('keep the reason of every push problem, too', () => {
    expect(() =>
      settleConfig({}, { strictConfig: true }, resolvePushSettings({ NB_METRICS_INTERVAL: '5' })),
    ).toThrow(/NB_METRICS_INTERVAL="5": expected a positive Go duration/);
  });
});

/**
 * Every metric variable of the OpenTelemetry specification: honoured (a valid value is used),
 * warned about (an invalid one names the variable and its fallback), or read by the exporter.
 */
describe('every OpenTelemetry metric variable', () => {
  const otlp = { NB_METRICS_EXPORTER: 'otlp' };
  type Case = [env: Env, pick: (c: ResolvedConfig) => unknown, expected: unknown, invalid: string];
  const cases: Record<string, Case> = {
    OTEL_SDK_DISABLED: [{ ...otlp, OTEL_SDK_DISABLED: 'true' }, (c) => c.otlp, undefined, 'maybe'],
    OTEL_METRICS_EXPORTER: [
      { OTEL_METRICS_EXPORTER: 'console' },
      (c) => c.exporters.has('console'),
      true,
      'x',
    ],
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://c/m' },
      (c) => c.otlp?.url,
      'https://c/m',
      'c/m',
    ],
    OTEL_EXPORTER_OTLP_ENDPOINT: [
      { ...otlp, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c' },
      (c) => c.otlp?.url,
      'https://c/v1/metrics',
      'c:4318',
    ],
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'a=1' },
      (c) => c.otlp?.headers,
      { a: '1' },
      'a',
    ],
    OTEL_EXPORTER_OTLP_HEADERS: [
      { ...otlp, OTEL_EXPORTER_OTLP_HEADERS: 'b=2' },
      (c) => c.otlp?.headers,
      { b: '2' },
      '=2',
    ],
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '1500' },
      (c) => c.otlp?.timeoutMillis,
      1500,
      '1.5s',
    ],
    OTEL_EXPORTER_OTLP_TIMEOUT: [
      { ...otlp, OTEL_EXPORTER_OTLP_TIMEOUT: '2500' },
      (c) => c.otlp?.timeoutMillis,
      2500,
      '-1',
    ],
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'GZIP' },
      (c) => c.otlp?.compression,
      'gzip',
      'zstd',
    ],
    OTEL_EXPORTER_OTLP_COMPRESSION: [
      { ...otlp, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
      (c) => c.otlp?.compression,
      'gzip',
      'br',
    ],
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' },
      (c) => c.otlp?.protocol,
      'http/json',
      'grpc',
    ],
    OTEL_EXPORTER_OTLP_PROTOCOL: [
      { ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' },
      (c) => c.otlp?.protocol,
      'http/json',
      'grpc',
    ],
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: [
      { ...otlp, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' },
      (c) => c.otlp?.temporalityPreference,
      'delta',
      'sometimes',
    ],
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: [
      {
        ...otlp,
        OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'explicit_bucket_histogram',
      },
      (c) => c.otlp?.url,
      'http://localhost:4318/v1/metrics',
      'base2_exponential_bucket_histogram',
    ],
    OTEL_METRIC_EXPORT_INTERVAL: [
      { ...otlp, OTEL_METRIC_EXPORT_INTERVAL: '15000' },
      (c) => c.periodic?.exportIntervalMillis,
      15_000,
      '15s',
    ],
    OTEL_METRIC_EXPORT_TIMEOUT: [
      { ...otlp, OTEL_METRIC_EXPORT_TIMEOUT: '5000' },
      (c) => c.periodic?.exportTimeoutMillis,
      5000,
      '0',
    ],
    OTEL_SERVICE_NAME: [{ OTEL_SERVICE_NAME: 'svc' }, (c) => c.resource['service.name'], 'svc', ''],
    OTEL_RESOURCE_ATTRIBUTES: [
      { OTEL_RESOURCE_ATTRIBUTES: 'team=net' },
      (c) => c.resource.team,
      'net',
      'team',
    ],
    OTEL_EXPORTER_PROMETHEUS_HOST: [
      { NB_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0' },
      (c) => c.prometheus?.host,
      '0.0.0.0',
      '',
    ],
    OTEL_EXPORTER_PROMETHEUS_PORT: [
      { NB_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '9100' },
      (c) => c.prometheus?.port,
      9100,
      '99999',
    ],
  };

  it('covers every variable the package reads', () => {
    expect(Object.keys(cases).sort()).toEqual(
      Object.values(OTEL_VARIABLES)
        .map((v) => v.env)
        .sort(),
    );
  });

  it.each(Object.entries(cases))('%s is honoured', (_name, [env, pick, expected]) => {
    expect(pick(unwrap(resolveConfig(env)))).toEqual(expected);
  });

  it.each(Object.entries(cases).filter(([, c]) => c[3] !== ''))(
    '%s: an invalid value is warned about and the fallback used',
    (name, [env, pick, , invalid]) => {
      const withBad = { ...env, [name]: invalid };
      const c = settled(withBad);
      expect(warnings).toHaveLength(1);
      // The line of the variable ends by saying what is used instead.
      expect(warnings[0]).toMatch(
        new RegExp(`- ${name}\\b.*; (using .+|none of its \\w+ are used)$`, 'm'),
      );
      const withoutIt = { ...env };
      delete (withoutIt as Record<string, string | undefined>)[name];
      expect(pick(c)).toEqual(pick(unwrap(resolveConfig(withoutIt))));
    },
  );

  it.each(OTEL_IGNORED.map((v) => [v.env]))('%s is warned about and ignored when set', (name) => {
    expect(settled({ ...otlp, [name]: 'x' }).otlp).toEqual(unwrap(resolveConfig(otlp)).otlp);
    expect(warnings[0]).toMatch(new RegExp(`${name}="x": not supported, .*; ignored$`));
    warnings.length = 0;
    // Set for some other OpenTelemetry setup in the process: none of ours is built, no warning.
    settled({ [name]: 'x' });
    expect(warnings).toEqual([]);
  });

  it.each(OTEL_READ_BY_EXPORTER.map((v) => [v.env]))(
    '%s is left to the OTLP exporter, which reads it from process.env',
    (name) => {
      expect(resolveConfig({ ...otlp, [name]: '/no/such/file.pem' }).ok).toBe(true);
      vi.stubEnv(name, '/no/such/file.pem');
      const settings = unwrap(
        resolveConfig({ ...otlp, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c' }),
      ).otlp;
      if (settings === undefined) throw new Error('otlp expected');
      const exporter = createOtlpExporter(settings);
      // The exporter tried to read the file at construction and said so.
      expect(warnings.some((w) => /^Failed to read/.test(w))).toBe(true);
      return exporter.shutdown();
    },
  );
});

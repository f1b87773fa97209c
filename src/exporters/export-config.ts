import type { Resolved } from '../config/config-error.js';
import { type Env, envValue } from '../config/env.js';
import { type OptionSpec, resolveSetting } from '../config/option-table.js';
import {
  OTEL_VARIABLES,
  OTLP_COMPRESSIONS,
  OTLP_PROTOCOLS,
  OTLP_TEMPORALITIES,
} from '../config/otel-variables.js';
import { Problems } from '../config/problems.js';
import { isHttpUrl, Refusal, type ValueKind } from '../config/value-kinds.js';
import type { OtlpCompression, OtlpProtocol, OtlpSettings, OtlpTemporality } from './otel/otlp.js';
import { type PushOptions, type PushSettings, resolvePushSettings } from './push/push-settings.js';

export const EXPORTER_NAMES = ['influx', 'otlp', 'prometheus', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];
type Selected = Exclude<ExporterName, 'none'>;

/** The names given → the exporters selected, or why the list is not acceptable. */
function selectExporters(names: readonly string[]): Set<Selected> | Refusal {
  const unknown = names.find((n) => !(EXPORTER_NAMES as readonly string[]).includes(n));
  if (unknown !== undefined) {
    return new Refusal(
      `unknown exporter ${JSON.stringify(unknown)}; expected a comma list of ${EXPORTER_NAMES.join(', ')}`,
    );
  }
  if (names.length === 0) return new Refusal('empty exporter list; use "none" to export nothing');
  const selected = new Set(names.filter((n): n is Selected => n !== 'none'));
  if (names.includes('none') && selected.size > 0) {
    return new Refusal('"none" cannot be combined with other exporters');
  }
  return selected;
}

const exporterList: ValueKind<Set<Selected>> = {
  expected: `a comma list of ${EXPORTER_NAMES.join(', ')}`,
  parse: (t) =>
    selectExporters(
      t
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
};

/** The client's own variables besides those of the push and of the OpenTelemetry specification. */
export const CLIENT_VARIABLES = {
  exporters: {
    env: 'NB_METRICS_EXPORTER',
    option: 'exporters',
    kind: exporterList,
    default: new Set<Selected>(['influx']),
    defaultText: 'influx',
    help: 'Which exporters run: influx (the timestamped NetBird push), otlp, prometheus, console, or none.',
  },
} satisfies Readonly<Record<string, OptionSpec<unknown>>>;

const O = OTEL_VARIABLES;

export const ENV = {
  exporters: CLIENT_VARIABLES.exporters.env,
  ...(Object.fromEntries(Object.entries(O).map(([k, spec]) => [k, spec.env])) as {
    readonly [K in keyof typeof O]: string;
  }),
};

export const CONFIG_DEFAULTS = {
  exporters: ['influx'] as readonly ExporterName[],
  otlpUrl: O.otlpMetricsEndpoint.default,
  otlpProtocol: O.otlpProtocol.default as OtlpProtocol,
  otlpTimeoutMillis: O.otlpTimeout.default,
  otlpCompression: O.otlpCompression.default as OtlpCompression,
  otlpTemporality: O.otlpTemporality.default as OtlpTemporality,
  exportIntervalMillis: O.exportInterval.default,
  exportTimeoutMillis: O.exportTimeout.default,
  serviceName: O.serviceName.default,
  prometheusHost: O.prometheusHost.default,
  prometheusPort: O.prometheusPort.default,
  prometheusEndpoint: '/metrics',
};

export interface OtlpOptions {
  url?: string;
  protocol?: OtlpProtocol;
  headers?: Readonly<Record<string, string>>;
  timeoutMillis?: number;
  compression?: OtlpCompression;
  temporalityPreference?: OtlpTemporality;
}

export interface PrometheusOptions {
  host?: string;
  port?: number;
  endpoint?: string;
}

export interface MetricsExportOptions {
  /** Which exporters run; `NB_METRICS_EXPORTER`, default `influx`. */
  exporters?: readonly ExporterName[];
  otlp?: OtlpOptions;
  prometheus?: PrometheusOptions;
  /** Periodic readers (otlp, console); `OTEL_METRIC_EXPORT_INTERVAL`, default 60 000. */
  exportIntervalMillis?: number;
  /** `OTEL_METRIC_EXPORT_TIMEOUT`, default 30 000 (at most the interval). */
  exportTimeoutMillis?: number;
  /** `OTEL_SERVICE_NAME`, default `netbird`. */
  serviceName?: string;
  /** Merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Readonly<Record<string, string>>;
  /** The NetBird push (used when `influx` is selected). */
  push?: PushOptions;
}

export interface ResolvedConfig {
  /** Selected exporters; empty for `none`. */
  readonly exporters: ReadonlySet<Selected>;
  /** Present when `otlp` is selected. */
  readonly otlp?: OtlpSettings;
  /** Present when `prometheus` is selected. */
  readonly prometheus?: { readonly host: string; readonly port: number; readonly endpoint: string };
  /** Present when a periodic reader (otlp, console) is selected. */
  readonly periodic?: {
    readonly exportIntervalMillis: number;
    readonly exportTimeoutMillis: number;
  };
  /** Attributes of the Resource of a MeterProvider we build (`service.name` included). */
  readonly resource: Readonly<Record<string, string>>;
  /** Present when `influx` is selected. */
  readonly push?: PushSettings;
}

const positive = (value: number) => Number.isFinite(value) && value > 0;
const among =
  <T extends string>(values: readonly T[]) =>
  (value: T) =>
    values.includes(value);

/**
 * Options and environment → what leaves the process. Pure: the environment is an argument,
 * every problem is reported at once, and nothing is built here (pipeline.ts builds).
 *
 * Precedence: programmatic options, then variables, then defaults. Only the sections of the
 * selected exporters are read, so variables meant for another OTel setup in the same process
 * cannot break ours.
 */
export function resolveConfig(
  env: Env,
  options: MetricsExportOptions = {},
): Resolved<ResolvedConfig> {
  const problems = new Problems();
  const exporters = resolveExporters(problems, env, options.exporters);
  const otlp = exporters.has('otlp') ? resolveOtlp(problems, env, options.otlp ?? {}) : undefined;
  const prometheus = exporters.has('prometheus')
    ? resolvePrometheus(problems, env, options.prometheus ?? {})
    : undefined;
  const periodic =
    exporters.has('otlp') || exporters.has('console')
      ? resolvePeriodic(problems, env, options)
      : undefined;
  const resource = resolveResource(problems, env, options);
  let push: PushSettings | undefined;
  if (exporters.has('influx')) {
    const result = resolvePushSettings(env, options.push);
    problems.addAll(result);
    push = result.ok ? result.value : result.fallback;
  }
  return problems.result({
    exporters,
    ...(otlp ? { otlp } : {}),
    ...(prometheus ? { prometheus } : {}),
    ...(periodic ? { periodic } : {}),
    resource,
    ...(push ? { push } : {}),
  });
}

function resolveExporters(
  problems: Problems,
  env: Env,
  option: readonly ExporterName[] | undefined,
): ReadonlySet<Selected> {
  if (option !== undefined) {
    const selected = selectExporters(option);
    if (!(selected instanceof Refusal)) return selected;
    problems.add(`option exporters: ${selected.reason}`, 'option exporters');
  }
  const spec = CLIENT_VARIABLES.exporters;
  const sources = option !== undefined ? ['option exporters', spec.env] : [spec.env];
  const value = problems.read(spec.kind, envValue(env, spec.env), spec.env);
  if (value !== undefined) {
    problems.used(sources, [...value], `from ${spec.env}`);
    return value;
  }
  problems.used(sources, [...spec.default], 'the default');
  return spec.default;
}

function resolveOtlp(problems: Problems, env: Env, o: OtlpOptions): OtlpSettings {
  const url = resolveSetting(
    problems,
    env,
    [O.otlpMetricsEndpoint, O.otlpEndpoint],
    O.otlpMetricsEndpoint.default,
    {
      name: 'otlp.url',
      value: o.url,
      valid: isHttpUrl,
      expected: 'an absolute http or https URL',
    },
  );
  const headers: Record<string, string> = {
    ...problems.read(O.otlpHeaders.kind, envValue(env, O.otlpHeaders.env), O.otlpHeaders.env),
    ...problems.read(
      O.otlpMetricsHeaders.kind,
      envValue(env, O.otlpMetricsHeaders.env),
      O.otlpMetricsHeaders.env,
    ),
    ...o.headers,
  };
  problems.used([O.otlpHeaders.env, O.otlpMetricsHeaders.env], 'no headers from it');
  return {
    url,
    protocol: resolveSetting(
      problems,
      env,
      [O.otlpMetricsProtocol, O.otlpProtocol],
      CONFIG_DEFAULTS.otlpProtocol,
      {
        name: 'otlp.protocol',
        value: o.protocol,
        valid: among(OTLP_PROTOCOLS),
        expected: 'http/protobuf or http/json',
      },
    ),
    headers,
    timeoutMillis: resolveSetting(
      problems,
      env,
      [O.otlpMetricsTimeout, O.otlpTimeout],
      O.otlpTimeout.default,
      {
        name: 'otlp.timeoutMillis',
        value: o.timeoutMillis,
        valid: positive,
        expected: 'a number > 0',
      },
    ),
    compression: resolveSetting(
      problems,
      env,
      [O.otlpMetricsCompression, O.otlpCompression],
      CONFIG_DEFAULTS.otlpCompression,
      {
        name: 'otlp.compression',
        value: o.compression,
        valid: among(OTLP_COMPRESSIONS),
        expected: OTLP_COMPRESSIONS.join(' or '),
      },
    ),
    temporalityPreference: resolveSetting(
      problems,
      env,
      [O.otlpTemporality],
      CONFIG_DEFAULTS.otlpTemporality,
      {
        name: 'otlp.temporalityPreference',
        value: o.temporalityPreference,
        valid: among(OTLP_TEMPORALITIES),
        expected: OTLP_TEMPORALITIES.join(', '),
      },
    ),
  };
}

function resolvePrometheus(
  problems: Problems,
  env: Env,
  o: PrometheusOptions,
): NonNullable<ResolvedConfig['prometheus']> {
  const endpoint = o.endpoint ?? CONFIG_DEFAULTS.prometheusEndpoint;
  const validEndpoint = endpoint.startsWith('/');
  if (!validEndpoint) {
    problems.refuseOption('prometheus.endpoint', endpoint, 'a path starting with /');
    problems.used(
      ['option prometheus.endpoint'],
      CONFIG_DEFAULTS.prometheusEndpoint,
      'the default',
    );
  }
  return {
    host: resolveSetting(problems, env, [O.prometheusHost], O.prometheusHost.default, {
      name: 'prometheus.host',
      value: o.host,
    }),
    port: resolveSetting(problems, env, [O.prometheusPort], O.prometheusPort.default, {
      name: 'prometheus.port',
      value: o.port,
      valid: (p: number) => Number.isInteger(p) && p >= 1 && p <= 65_535,
      expected: 'a port number from 1 to 65535',
    }),
    endpoint: validEndpoint ? endpoint : CONFIG_DEFAULTS.prometheusEndpoint,
  };
}

function resolvePeriodic(
  problems: Problems,
  env: Env,
  options: MetricsExportOptions,
): NonNullable<ResolvedConfig['periodic']> {
  const millis = (name: 'exportIntervalMillis' | 'exportTimeoutMillis') => ({
    name,
    value: options[name],
    valid: positive,
    expected: 'a number > 0',
  });
  const interval = resolveSetting(
    problems,
    env,
    [O.exportInterval],
    undefined,
    millis('exportIntervalMillis'),
  );
  const timeout = resolveSetting(
    problems,
    env,
    [O.exportTimeout],
    undefined,
    millis('exportTimeoutMillis'),
  );
  const exportIntervalMillis = interval ?? O.exportInterval.default;
  if (timeout !== undefined && timeout > exportIntervalMillis) {
    const timeoutSource =
      options.exportTimeoutMillis !== undefined
        ? 'option exportTimeoutMillis'
        : O.exportTimeout.env;
    const intervalSource =
      interval === undefined
        ? 'the default interval'
        : options.exportIntervalMillis !== undefined
          ? 'option exportIntervalMillis'
          : O.exportInterval.env;
    problems.add(
      `${timeoutSource}=${timeout} is longer than ${intervalSource}=${exportIntervalMillis}`,
      timeoutSource,
    );
    problems.used([timeoutSource], exportIntervalMillis, 'the interval');
  }
  // A timeout longer than the interval is clamped, as the SDK does.
  const exportTimeoutMillis = Math.min(timeout ?? O.exportTimeout.default, exportIntervalMillis);
  return { exportIntervalMillis, exportTimeoutMillis };
}

function resolveResource(
  problems: Problems,
  env: Env,
  options: MetricsExportOptions,
): Record<string, string> {
  const spec = O.resourceAttributes;
  const attributes: Record<string, string> = {
    ...problems.read(spec.kind, envValue(env, spec.env), spec.env),
    ...options.resourceAttributes,
  };
  problems.used([spec.env], 'no attributes from it');
  attributes['service.name'] =
    options.serviceName ??
    problems.read(O.serviceName.kind, envValue(env, O.serviceName.env), O.serviceName.env) ??
    attributes['service.name'] ??
    O.serviceName.default;
  return attributes;
}

import { diag } from '@opentelemetry/api';
import { ConfigError, type Resolved } from '../config/config-error.js';
import { type Env, envValue } from '../config/env.js';
import { type OptionSpec, resolveSetting, resolveSourced } from '../config/option-table.js';
import {
  OTEL_IGNORED,
  OTEL_VARIABLES,
  OTLP_COMPRESSIONS,
  OTLP_PROTOCOLS,
  OTLP_TEMPORALITIES,
} from '../config/otel-variables.js';
import { Problems } from '../config/problems.js';
import { goBool, isHttpUrl, Refusal, type ValueKind } from '../config/value-kinds.js';
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
    help: "Which exporters run: influx (the timestamped NetBird push), otlp, prometheus, console, or none. Wins over OTEL_METRICS_EXPORTER: it is this package's own and names influx too.",
  },
  strictConfig: {
    env: 'NB_METRICS_STRICT_CONFIG',
    option: 'strictConfig',
    kind: goBool,
    default: false,
    help: 'true: an invalid or unsupported value throws a ConfigError listing every problem, instead of one diag warning and the fallback.',
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
  /**
   * Throw a ConfigError for invalid or unsupported values instead of one `diag.warn` and the
   * fallback; `NB_METRICS_STRICT_CONFIG`, default false.
   */
  strictConfig?: boolean;
}

export interface ResolvedConfig {
  /** Selected exporters; empty for `none`. */
  readonly exporters: ReadonlySet<Selected>;
  /**
   * Where `exporters` came from. `OTEL_METRICS_EXPORTER` is often set for the application's own
   * SDK, so with the application's provider its exporters are not ours to miss.
   */
  readonly exportersFrom: 'option' | 'NB_METRICS_EXPORTER' | 'OTEL_METRICS_EXPORTER' | 'default';
  /** `OTEL_SDK_DISABLED=true`: build no MeterProvider and no OTel exporter. */
  readonly sdkDisabled: boolean;
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
  const sdkDisabled = resolveSetting(problems, env, [O.sdkDisabled], O.sdkDisabled.default);
  const selection = resolveExporters(problems, env, options.exporters);
  const exporters = withoutOtel(selection.exporters, sdkDisabled);
  warnIgnored(problems, env, exporters);
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
    exportersFrom: selection.from,
    sdkDisabled,
    ...(otlp ? { otlp } : {}),
    ...(prometheus ? { prometheus } : {}),
    ...(periodic ? { periodic } : {}),
    resource,
    ...(push ? { push } : {}),
  });
}

type ExportersFrom = ResolvedConfig['exportersFrom'];

function resolveExporters(
  problems: Problems,
  env: Env,
  option: readonly ExporterName[] | undefined,
): { exporters: ReadonlySet<Selected>; from: ExportersFrom } {
  if (option !== undefined) {
    const selected = selectExporters(option);
    if (!(selected instanceof Refusal)) return { exporters: selected, from: 'option' };
    problems.add(`option exporters: ${selected.reason}`, 'option exporters');
  }
  const spec = CLIENT_VARIABLES.exporters;
  const otel = O.metricsExporter;
  const sources = option !== undefined ? ['option exporters', spec.env] : [spec.env];
  const chosen = (exporters: ReadonlySet<Selected>, from: ExportersFrom) => {
    problems.used(sources, [...exporters], from === 'default' ? 'the default' : `from ${from}`);
    return { exporters, from };
  };
  const ours = problems.read(spec.kind, envValue(env, spec.env), spec.env);
  if (ours !== undefined) return chosen(ours, 'NB_METRICS_EXPORTER');
  // The specification's variable names only OpenTelemetry exporters; the push stays selected.
  const theirs = problems.read(otel.kind, envValue(env, otel.env), otel.env);
  sources.push(otel.env);
  if (theirs !== undefined) return chosen(new Set(['influx', ...theirs]), 'OTEL_METRICS_EXPORTER');
  return chosen(spec.default, 'default');
}

const OTEL_EXPORTERS: readonly Selected[] = ['otlp', 'prometheus', 'console'];

function withoutOtel(
  exporters: ReadonlySet<Selected>,
  sdkDisabled: boolean,
): ReadonlySet<Selected> {
  if (!sdkDisabled) return exporters;
  return new Set([...exporters].filter((e) => !OTEL_EXPORTERS.includes(e)));
}

/** A variable the specification defines but this package cannot honour is set: say so. */
function warnIgnored(problems: Problems, env: Env, exporters: ReadonlySet<Selected>): void {
  const buildsOtel = OTEL_EXPORTERS.some((e) => exporters.has(e));
  for (const { env: name, reason } of OTEL_IGNORED) {
    const text = envValue(env, name);
    const relevant = name.includes('_OTLP_') ? exporters.has('otlp') : buildsOtel;
    if (text === undefined || !relevant) continue;
    problems.add(`${name}=${JSON.stringify(text)}: not supported, ${reason}`, name);
    problems.instead([name], 'ignored');
  }
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
  // Only explicit buckets are exported; asking for another aggregation is a problem, not a choice.
  resolveSetting(problems, env, [O.histogramAggregation], O.histogramAggregation.default);
  const headers: Record<string, string> = {
    ...problems.read(O.otlpHeaders.kind, envValue(env, O.otlpHeaders.env), O.otlpHeaders.env),
    ...problems.read(
      O.otlpMetricsHeaders.kind,
      envValue(env, O.otlpMetricsHeaders.env),
      O.otlpMetricsHeaders.env,
    ),
    ...o.headers,
  };
  problems.instead([O.otlpHeaders.env, O.otlpMetricsHeaders.env], 'none of its headers are used');
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
  const interval = resolveSourced(
    problems,
    env,
    [O.exportInterval],
    O.exportInterval.default,
    millis('exportIntervalMillis'),
  );
  const exportIntervalMillis = interval.value;
  // A default timeout longer than the chosen interval is clamped silently, as the SDK does.
  const timeout = resolveSourced(
    problems,
    env,
    [O.exportTimeout],
    Math.min(O.exportTimeout.default, exportIntervalMillis),
    millis('exportTimeoutMillis'),
  );
  let exportTimeoutMillis = timeout.value;
  if (timeout.source !== undefined && exportTimeoutMillis > exportIntervalMillis) {
    const against = interval.source ?? 'the default interval';
    problems.add(
      `${timeout.source}=${exportTimeoutMillis} is longer than ${against}=${exportIntervalMillis}`,
      timeout.source,
    );
    problems.used([timeout.source], exportIntervalMillis, 'the interval');
    exportTimeoutMillis = exportIntervalMillis;
  }
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
  problems.instead([spec.env], 'none of its attributes are used');
  attributes['service.name'] =
    options.serviceName ??
    problems.read(O.serviceName.kind, envValue(env, O.serviceName.env), O.serviceName.env) ??
    attributes['service.name'] ??
    O.serviceName.default;
  return attributes;
}

/** Problems already warned about, per environment object, so a re-read does not warn again. */
const warned = new WeakMap<Env, Set<string>>();

/**
 * What a resolution means inside a host application, which configuration must never break:
 * problems are one `diag.warn` (each naming the variable and what is used instead) and the
 * fallback applies. In strict mode (`strictConfig`, `NB_METRICS_STRICT_CONFIG`) they are a
 * {@link ConfigError} listing every one, for callers that want to stop, such as tests and CLIs.
 */
export function settleConfig<T>(
  env: Env,
  options: Pick<MetricsExportOptions, 'strictConfig'>,
  result: Resolved<T>,
): T {
  const problems = new Problems();
  const spec = CLIENT_VARIABLES.strictConfig;
  const strict = resolveSetting(problems, env, [spec], spec.default, {
    name: 'strictConfig',
    value: options.strictConfig,
  });
  problems.addAll(result);
  const all = problems.result(undefined);
  if (all.ok) return result.ok ? result.value : result.fallback;
  if (strict) throw new ConfigError(all.errors);
  const seen = warned.get(env) ?? new Set<string>();
  warned.set(env, seen);
  const fresh = all.warnings.filter((w) => !seen.has(w));
  for (const w of fresh) seen.add(w);
  if (fresh.length > 0) {
    diag.warn(
      `netbird-otel-metrics: invalid configuration ignored (strictConfig or ${spec.env}=true makes it an error):\n  - ${fresh.join('\n  - ')}`,
    );
  }
  return result.ok ? result.value : result.fallback;
}

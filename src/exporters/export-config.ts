import { type Env, envValue, type Resolved } from '../config/env.js';
import { isHttpUrl } from '../protocol/push-config.js';
import type { OtlpCompression, OtlpProtocol, OtlpSettings, OtlpTemporality } from './otel/otlp.js';
import { type PushOptions, type PushSettings, resolvePushSettings } from './push/push-settings.js';

/**
 * Options and environment → what leaves the process. Pure: the environment is an argument,
 * every problem is reported at once, and nothing is built here (pipeline.ts builds).
 *
 * Precedence: programmatic options, then variables, then defaults. Only the sections of the
 * selected exporters are read, so variables meant for another OTel setup in the same process
 * cannot break ours. An invalid value is an error naming the variable or option; it is never
 * replaced by a default.
 */

export const EXPORTER_NAMES = ['influx', 'otlp', 'prometheus', 'console', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

export const ENV = {
  exporters: 'NB_METRICS_EXPORTER',
  otlpEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  otlpMetricsEndpoint: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  otlpHeaders: 'OTEL_EXPORTER_OTLP_HEADERS',
  otlpMetricsHeaders: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  otlpTimeout: 'OTEL_EXPORTER_OTLP_TIMEOUT',
  otlpMetricsTimeout: 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
  otlpCompression: 'OTEL_EXPORTER_OTLP_COMPRESSION',
  otlpMetricsCompression: 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION',
  otlpProtocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  otlpMetricsProtocol: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  otlpTemporality: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  exportInterval: 'OTEL_METRIC_EXPORT_INTERVAL',
  exportTimeout: 'OTEL_METRIC_EXPORT_TIMEOUT',
  serviceName: 'OTEL_SERVICE_NAME',
  resourceAttributes: 'OTEL_RESOURCE_ATTRIBUTES',
  prometheusHost: 'OTEL_EXPORTER_PROMETHEUS_HOST',
  prometheusPort: 'OTEL_EXPORTER_PROMETHEUS_PORT',
} as const;

export const CONFIG_DEFAULTS = {
  exporters: ['influx'] as readonly ExporterName[],
  otlpUrl: 'http://localhost:4318/v1/metrics',
  otlpProtocol: 'http/protobuf' as OtlpProtocol,
  otlpTimeoutMillis: 10_000,
  otlpCompression: 'none' as OtlpCompression,
  otlpTemporality: 'cumulative' as OtlpTemporality,
  exportIntervalMillis: 60_000,
  exportTimeoutMillis: 30_000,
  serviceName: 'netbird',
  /** Loopback unless asked otherwise: a VPN client should not expose metrics by default. */
  prometheusHost: '127.0.0.1',
  prometheusPort: 9464,
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
  readonly exporters: ReadonlySet<Exclude<ExporterName, 'none'>>;
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

export function resolveConfig(
  env: Env,
  options: MetricsExportOptions = {},
): Resolved<ResolvedConfig> {
  const errors: string[] = [];
  const exporters = resolveExporters(env, options.exporters, errors);
  const otel = (name: string) => envValue(env, name)?.trim() || undefined;

  let otlp: OtlpSettings | undefined;
  if (exporters.has('otlp')) otlp = resolveOtlp(options.otlp ?? {}, otel, errors);

  let prometheus: ResolvedConfig['prometheus'];
  if (exporters.has('prometheus')) {
    const o = options.prometheus ?? {};
    const host = o.host ?? otel(ENV.prometheusHost) ?? CONFIG_DEFAULTS.prometheusHost;
    const port = o.port ?? integer(otel(ENV.prometheusPort), ENV.prometheusPort, errors);
    const chosenPort = port ?? CONFIG_DEFAULTS.prometheusPort;
    if (!(Number.isInteger(chosenPort) && chosenPort >= 1 && chosenPort <= 65535)) {
      const source = o.port !== undefined ? 'option prometheus.port' : ENV.prometheusPort;
      errors.push(`${source}=${chosenPort}: expected a port number from 1 to 65535`);
    }
    const endpoint = o.endpoint ?? CONFIG_DEFAULTS.prometheusEndpoint;
    if (!endpoint.startsWith('/')) {
      errors.push(`option prometheus.endpoint=${JSON.stringify(endpoint)}: must start with /`);
    }
    prometheus = { host, port: chosenPort, endpoint };
  }

  let periodic: ResolvedConfig['periodic'];
  if (exporters.has('otlp') || exporters.has('console')) {
    periodic = resolvePeriodic(options, otel, errors);
  }

  const resource = resolveResource(options, otel, errors);

  let push: PushSettings | undefined;
  if (exporters.has('influx')) {
    const result = resolvePushSettings(env, options.push);
    if (result.ok) push = result.value;
    else errors.push(...result.errors);
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      exporters,
      ...(otlp ? { otlp } : {}),
      ...(prometheus ? { prometheus } : {}),
      ...(periodic ? { periodic } : {}),
      resource,
      ...(push ? { push } : {}),
    },
  };
}

function isExporterName(name: string): name is ExporterName {
  return (EXPORTER_NAMES as readonly string[]).includes(name);
}

function resolveExporters(
  env: Env,
  option: readonly ExporterName[] | undefined,
  errors: string[],
): Set<Exclude<ExporterName, 'none'>> {
  const text = envValue(env, ENV.exporters);
  const source = option !== undefined ? 'option exporters' : ENV.exporters;
  const names =
    option ??
    (text === undefined
      ? CONFIG_DEFAULTS.exporters
      : text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''));
  const chosen = new Set<Exclude<ExporterName, 'none'>>();
  let none = false;
  for (const name of names as readonly string[]) {
    if (!isExporterName(name)) {
      errors.push(
        `${source}: unknown exporter ${JSON.stringify(name)}; expected a comma list of ${EXPORTER_NAMES.join(', ')}`,
      );
    } else if (name === 'none') none = true;
    else chosen.add(name);
  }
  if (none && chosen.size > 0)
    errors.push(`${source}: "none" cannot be combined with other exporters`);
  if (names.length === 0)
    errors.push(`${source}: empty exporter list; use "none" to export nothing`);
  return none ? new Set() : chosen;
}

type Read = (name: string) => string | undefined;

function resolveOtlp(o: OtlpOptions, otel: Read, errors: string[]): OtlpSettings {
  let url = o.url;
  let urlSource = 'option otlp.url';
  if (url === undefined) {
    const specific = otel(ENV.otlpMetricsEndpoint);
    const general = otel(ENV.otlpEndpoint);
    if (specific !== undefined) {
      url = specific;
      urlSource = ENV.otlpMetricsEndpoint;
    } else if (general !== undefined) {
      // The general endpoint is a base: the signal path is appended (OTLP exporter spec).
      url = `${general}${general.endsWith('/') ? '' : '/'}v1/metrics`;
      urlSource = ENV.otlpEndpoint;
    } else url = CONFIG_DEFAULTS.otlpUrl;
  }
  if (!isHttpUrl(url))
    errors.push(`${urlSource}=${JSON.stringify(url)}: expected an http or https URL`);

  const protocolText = o.protocol ?? otel(ENV.otlpMetricsProtocol) ?? otel(ENV.otlpProtocol);
  let protocol = CONFIG_DEFAULTS.otlpProtocol;
  if (protocolText !== undefined) {
    if (protocolText === 'http/protobuf' || protocolText === 'http/json') protocol = protocolText;
    else {
      const source =
        o.protocol !== undefined
          ? 'option otlp.protocol'
          : otel(ENV.otlpMetricsProtocol) !== undefined
            ? ENV.otlpMetricsProtocol
            : ENV.otlpProtocol;
      errors.push(
        `${source}=${JSON.stringify(protocolText)}: expected http/protobuf or http/json (grpc is not supported)`,
      );
    }
  }

  const headers: Record<string, string> = {
    ...parseKeyValueList(otel(ENV.otlpHeaders), ENV.otlpHeaders, errors),
    ...parseKeyValueList(otel(ENV.otlpMetricsHeaders), ENV.otlpMetricsHeaders, errors),
    ...o.headers,
  };

  const timeoutMillis =
    positiveOption(o.timeoutMillis, 'option otlp.timeoutMillis', errors) ??
    integer(otel(ENV.otlpMetricsTimeout), ENV.otlpMetricsTimeout, errors, true) ??
    integer(otel(ENV.otlpTimeout), ENV.otlpTimeout, errors, true) ??
    CONFIG_DEFAULTS.otlpTimeoutMillis;

  const compression =
    oneOf(
      o.compression ?? otel(ENV.otlpMetricsCompression) ?? otel(ENV.otlpCompression),
      ['none', 'gzip'] as const,
      o.compression !== undefined
        ? 'option otlp.compression'
        : otel(ENV.otlpMetricsCompression) !== undefined
          ? ENV.otlpMetricsCompression
          : ENV.otlpCompression,
      errors,
    ) ?? CONFIG_DEFAULTS.otlpCompression;

  const temporalityText = o.temporalityPreference ?? otel(ENV.otlpTemporality)?.toLowerCase();
  const temporalityPreference =
    oneOf(
      temporalityText,
      ['cumulative', 'delta', 'lowmemory'] as const,
      o.temporalityPreference !== undefined
        ? 'option otlp.temporalityPreference'
        : ENV.otlpTemporality,
      errors,
    ) ?? CONFIG_DEFAULTS.otlpTemporality;

  return { url, protocol, headers, timeoutMillis, compression, temporalityPreference };
}

function resolvePeriodic(
  options: MetricsExportOptions,
  otel: Read,
  errors: string[],
): NonNullable<ResolvedConfig['periodic']> {
  const intervalSource =
    options.exportIntervalMillis !== undefined ? 'option exportIntervalMillis' : ENV.exportInterval;
  const timeoutSource =
    options.exportTimeoutMillis !== undefined ? 'option exportTimeoutMillis' : ENV.exportTimeout;
  const interval =
    positiveOption(options.exportIntervalMillis, intervalSource, errors) ??
    integer(otel(ENV.exportInterval), ENV.exportInterval, errors, true);
  const timeout =
    positiveOption(options.exportTimeoutMillis, timeoutSource, errors) ??
    integer(otel(ENV.exportTimeout), ENV.exportTimeout, errors, true);
  const exportIntervalMillis = interval ?? CONFIG_DEFAULTS.exportIntervalMillis;
  if (timeout !== undefined && timeout > exportIntervalMillis) {
    const against = interval === undefined ? 'the default interval' : intervalSource;
    errors.push(`${timeoutSource}=${timeout} is longer than ${against}=${exportIntervalMillis}`);
  }
  // A default timeout longer than a chosen interval is clamped, as the SDK does.
  const exportTimeoutMillis =
    timeout ?? Math.min(CONFIG_DEFAULTS.exportTimeoutMillis, exportIntervalMillis);
  return { exportIntervalMillis, exportTimeoutMillis };
}

function resolveResource(
  options: MetricsExportOptions,
  otel: Read,
  errors: string[],
): Record<string, string> {
  const attributes: Record<string, string> = {
    ...parseKeyValueList(otel(ENV.resourceAttributes), ENV.resourceAttributes, errors),
    ...options.resourceAttributes,
  };
  attributes['service.name'] =
    options.serviceName ??
    otel(ENV.serviceName) ??
    attributes['service.name'] ??
    CONFIG_DEFAULTS.serviceName;
  return attributes;
}

/** `key=value,key2=value2`, each side percent-decoded (W3C Baggage style, as OTel specifies). */
export function parseKeyValueList(
  text: string | undefined,
  name: string,
  errors: string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  if (text === undefined) return result;
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = eq === -1 ? '' : decode(entry.slice(0, eq).trim());
    const value = eq === -1 ? undefined : decode(entry.slice(eq + 1).trim());
    if (key === '' || key === undefined || value === undefined) {
      errors.push(
        `${name}: invalid entry ${JSON.stringify(entry)}; expected key=value pairs separated by commas`,
      );
      continue;
    }
    result[key] = value;
  }
  return result;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function integer(
  text: string | undefined,
  name: string,
  errors: string[],
  positive = false,
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || (positive && Number(text) === 0)) {
    errors.push(
      `${name}=${JSON.stringify(text)}: expected ${positive ? 'a positive' : 'an'} integer`,
    );
    return undefined;
  }
  return Number(text);
}

function positiveOption(
  value: number | undefined,
  name: string,
  errors: string[],
): number | undefined {
  if (value === undefined) return undefined;
  if (!(Number.isFinite(value) && value > 0)) {
    errors.push(`${name}=${value}: expected a number > 0`);
    return undefined;
  }
  return value;
}

function oneOf<T extends string>(
  text: string | undefined,
  allowed: readonly T[],
  name: string,
  errors: string[],
): T | undefined {
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  errors.push(`${name}=${JSON.stringify(text)}: expected ${allowed.join(' or ')}`);
  return undefined;
}

import type { OptionSpec } from './option-table.js';
import {
  httpUrl,
  isHttpUrl,
  keyValueList,
  oneOf,
  otelBool,
  port,
  Refusal,
  text,
  type ValueKind,
  wholeNumber,
} from './value-kinds.js';

export const OTEL_EXPORTER_NAMES = ['otlp', 'prometheus', 'console', 'none'] as const;
export type OtelExporterName = Exclude<(typeof OTEL_EXPORTER_NAMES)[number], 'none'>;
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export const OTLP_COMPRESSIONS = ['none', 'gzip'] as const;
export const OTLP_TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;

/** The general endpoint is a base: the exporter specification appends the signal's path. */
export const otlpBaseUrl: ValueKind<string> = {
  expected: 'an absolute http or https URL (v1/metrics is appended)',
  parse: (t) => {
    const base = t.trim();
    const url = `${base}${base.endsWith('/') ? '' : '/'}v1/metrics`;
    return isHttpUrl(url) ? url : undefined;
  },
};

/** The specification's comma list of exporter names, case ignored; `none` stands alone. */
const otelExporterList: ValueKind<ReadonlySet<OtelExporterName>> = {
  expected: `a comma list of ${OTEL_EXPORTER_NAMES.join(', ')}`,
  parse: (t) => {
    const names = t
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const unknown = names.find((n) => !(OTEL_EXPORTER_NAMES as readonly string[]).includes(n));
    if (unknown !== undefined) {
      return new Refusal(
        `unknown exporter ${JSON.stringify(unknown)}; expected a comma list of ${OTEL_EXPORTER_NAMES.join(', ')}`,
      );
    }
    const chosen = new Set(names.filter((n): n is OtelExporterName => n !== 'none'));
    if (names.includes('none') && chosen.size > 0) {
      return new Refusal('"none" cannot be combined with other exporters');
    }
    return chosen;
  },
};

const milliseconds = wholeNumber(1, Number.MAX_SAFE_INTEGER, 'a whole number of milliseconds >= 1');
const protocol = oneOf(OTLP_PROTOCOLS, {
  ignoreCase: true,
  expected: 'http/protobuf or http/json (grpc is not supported)',
});
const compression = oneOf(OTLP_COMPRESSIONS, { ignoreCase: true });

/**
 * The metric variables of the OpenTelemetry environment specification that this package reads
 * itself, with the specification's defaults and value syntax: its enums ignore case, its
 * durations are whole milliseconds. The signal-specific `..._METRICS_...` variable of a pair
 * wins over the general one; headers of both are merged.
 */
export const OTEL_VARIABLES = {
  sdkDisabled: {
    env: 'OTEL_SDK_DISABLED',
    kind: otelBool,
    default: false,
    help: "true: this package builds no MeterProvider and no OpenTelemetry exporter; recording still goes to the application's provider, and the NetBird push is unaffected.",
  },
  metricsExporter: {
    env: 'OTEL_METRICS_EXPORTER',
    option: 'exporters',
    kind: otelExporterList,
    default: new Set<OtelExporterName>(),
    defaultText: 'none of ours',
    help: "The OpenTelemetry exporters to run next to the influx push; NB_METRICS_EXPORTER wins when both are set. Unset means none: inside an application the application's SDK exports.",
  },
  otlpMetricsEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    option: 'otlp.url',
    kind: httpUrl(),
    default: 'http://localhost:4318/v1/metrics',
    help: 'OTLP endpoint for metrics, used as given.',
  },
  otlpEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    option: 'otlp.url',
    kind: otlpBaseUrl,
    default: 'http://localhost:4318',
    help: 'Base URL of the OTLP receiver; v1/metrics is appended.',
  },
  otlpMetricsHeaders: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
    option: 'otlp.headers',
    kind: keyValueList,
    default: {},
    defaultText: '(none)',
    help: 'Headers of each export, over those of OTEL_EXPORTER_OTLP_HEADERS.',
  },
  otlpHeaders: {
    env: 'OTEL_EXPORTER_OTLP_HEADERS',
    option: 'otlp.headers',
    kind: keyValueList,
    default: {},
    defaultText: '(none)',
    help: 'Headers of each export, e.g. api-key=secret.',
  },
  otlpMetricsTimeout: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
    option: 'otlp.timeoutMillis',
    kind: milliseconds,
    default: 10_000,
    help: 'Time one export may take.',
  },
  otlpTimeout: {
    env: 'OTEL_EXPORTER_OTLP_TIMEOUT',
    option: 'otlp.timeoutMillis',
    kind: milliseconds,
    default: 10_000,
    help: 'Time one export may take.',
  },
  otlpMetricsCompression: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION',
    option: 'otlp.compression',
    kind: compression,
    default: 'none',
    help: 'Compression of the export body.',
  },
  otlpCompression: {
    env: 'OTEL_EXPORTER_OTLP_COMPRESSION',
    option: 'otlp.compression',
    kind: compression,
    default: 'none',
    help: 'Compression of the export body.',
  },
  otlpMetricsProtocol: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
    option: 'otlp.protocol',
    kind: protocol,
    default: 'http/protobuf',
    help: 'OTLP encoding over HTTP.',
  },
  otlpProtocol: {
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    option: 'otlp.protocol',
    kind: protocol,
    default: 'http/protobuf',
    help: 'OTLP encoding over HTTP.',
  },
  otlpTemporality: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
    option: 'otlp.temporalityPreference',
    kind: oneOf(OTLP_TEMPORALITIES, { ignoreCase: true }),
    default: 'cumulative',
    help: 'Aggregation temporality asked of the SDK for OTLP.',
  },
  histogramAggregation: {
    env: 'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
    kind: oneOf(['explicit_bucket_histogram'], {
      ignoreCase: true,
      expected:
        'explicit_bucket_histogram (base2_exponential_bucket_histogram is not supported: the instruments carry explicit bucket boundaries in seconds, which the dashboards rely on)',
    }),
    default: 'explicit_bucket_histogram',
    help: 'Histogram aggregation of the OTLP export; only explicit buckets.',
  },
  exportInterval: {
    env: 'OTEL_METRIC_EXPORT_INTERVAL',
    option: 'exportIntervalMillis',
    kind: milliseconds,
    default: 60_000,
    help: 'Time between two exports of the periodic readers (otlp, console).',
  },
  exportTimeout: {
    env: 'OTEL_METRIC_EXPORT_TIMEOUT',
    option: 'exportTimeoutMillis',
    kind: milliseconds,
    default: 30_000,
    defaultText: '30000, at most the interval',
    help: 'Time one periodic export may take; at most the interval.',
  },
  serviceName: {
    env: 'OTEL_SERVICE_NAME',
    option: 'serviceName',
    kind: text,
    default: 'netbird',
    help: 'service.name of a MeterProvider this package builds; wins over OTEL_RESOURCE_ATTRIBUTES.',
  },
  resourceAttributes: {
    env: 'OTEL_RESOURCE_ATTRIBUTES',
    option: 'resourceAttributes',
    kind: keyValueList,
    default: {},
    defaultText: '(none)',
    help: 'Resource attributes of a MeterProvider this package builds.',
  },
  prometheusHost: {
    env: 'OTEL_EXPORTER_PROMETHEUS_HOST',
    option: 'prometheus.host',
    kind: text,
    // Loopback unless asked otherwise: a VPN client should not expose metrics by default.
    default: '127.0.0.1',
    help: 'Address the Prometheus endpoint listens on (loopback, so a VPN client exposes nothing).',
  },
  prometheusPort: {
    env: 'OTEL_EXPORTER_PROMETHEUS_PORT',
    option: 'prometheus.port',
    kind: port,
    default: 9464,
    help: 'Port of the Prometheus endpoint.',
  },
} satisfies Readonly<Record<string, OptionSpec<unknown>>>;

/** Variables of the specification that are set on purpose but do nothing here: each warns. */
export const OTEL_IGNORED = [
  {
    env: 'OTEL_METRICS_EXEMPLAR_FILTER',
    reason: 'the OpenTelemetry JS metrics SDK records no exemplars',
  },
  {
    env: 'OTEL_EXPORTER_OTLP_INSECURE',
    reason:
      'it applies only to OTLP over gRPC, which is not supported (the scheme of the URL decides TLS)',
  },
  {
    env: 'OTEL_EXPORTER_OTLP_METRICS_INSECURE',
    reason:
      'it applies only to OTLP over gRPC, which is not supported (the scheme of the URL decides TLS)',
  },
] as const;

/**
 * Variables the OTLP exporter package reads itself, from `process.env` when it is constructed
 * (not from the `env` option): files for TLS to an https endpoint, relative to the working
 * directory; the `METRICS_` variable of each pair wins. A file that cannot be read is a
 * `diag.warn` of the exporter and that file is not used.
 */
export const OTEL_READ_BY_EXPORTER = [
  {
    env: 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
    help: 'PEM file of the CA certificates that verify the endpoint.',
  },
  { env: 'OTEL_EXPORTER_OTLP_CERTIFICATE', help: 'As above, for every signal.' },
  {
    env: 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE',
    help: 'PEM file of the client certificate chain (mutual TLS).',
  },
  { env: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', help: 'As above, for every signal.' },
  {
    env: 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY',
    help: 'PEM file of the client private key (mutual TLS).',
  },
  { env: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', help: 'As above, for every signal.' },
] as const;

// OTel metric name + unit → Prometheus-style name, following the OpenTelemetry/Prometheus
// compatibility rules that VictoriaMetrics (`-opentelemetry.usePrometheusNaming`) and the
// collector's Prometheus exporters apply: invalid characters become `_`, the unit is appended
// as a word (`s` → `_seconds`, `By` → `_bytes`, `{sample}` → nothing), monotonic counters end
// in `_total`. Our Prometheus endpoint uses it, so its names match PromQL over OTLP on those
// backends: `netbird.peer.connection.duration` (unit `s`) is
// `netbird_peer_connection_duration_seconds`. (The InfluxDB exporter keeps the raw OTel name,
// as the collector's influxdb exporter does.) Pure.

import { DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';

export type PrometheusKind = 'counter' | 'gauge' | 'histogram';

const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Characters outside `[a-zA-Z0-9_:]` become `_`; runs of `_` collapse. */
export function sanitizeMetricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/__+/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/** The unit as name words: `s` → `seconds`, `By/s` → `bytes_per_second`, `{x}` → ''. */
export function unitSuffix(unit: string, kind: PrometheusKind): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return '';
  if (bare === '1') return kind === 'gauge' ? 'ratio' : '';
  const slash = bare.indexOf('/');
  const main = slash === -1 ? bare : bare.slice(0, slash);
  const per = slash === -1 ? '' : bare.slice(slash + 1);
  const words: string[] = [];
  if (main !== '') words.push(UNIT_WORDS[main] ?? main);
  if (per !== '') words.push('per', PER_UNIT_WORDS[per] ?? UNIT_WORDS[per] ?? per);
  return sanitizeMetricName(words.join('_')).replace(/^_+|_+$/g, '');
}

export function prometheusMetricName(name: string, unit: string, kind: PrometheusKind): string {
  let result = sanitizeMetricName(name);
  const suffix = unitSuffix(unit, kind);
  if (suffix !== '' && !result.endsWith(`_${suffix}`)) result += `_${suffix}`;
  if (kind === 'counter' && !result.endsWith('_total')) result += '_total';
  return result;
}

export function prometheusKind(metric: MetricData): PrometheusKind {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) return 'counter';
  return 'gauge';
}

/** The Prometheus-style name of an exported metric. */
export function prometheusNameOf(metric: MetricData): string {
  return prometheusMetricName(
    metric.descriptor.name,
    metric.descriptor.unit,
    prometheusKind(metric),
  );
}

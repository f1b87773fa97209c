// The two metric layouts of the OpenTelemetry Collector's influxdb exporter (its
// `metrics_schema`), which Telegraf's Prometheus input also writes, so dashboards and queries
// made for either work on our data unchanged. Pure: one OTel data point in, its points out.

import { ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { type FieldValue, type InfluxPoint, integerField } from './influx-point.js';

/**
 * - `telegraf-prometheus-v1` (the collector's default): the measurement is the metric name;
 *   a number is field `counter` (a monotonic cumulative sum) or `gauge` (anything else); a
 *   histogram is one point with `count`, `sum`, `min`, `max` and one cumulative bucket count
 *   per bound, the field named by the bound (`0.005`, `1`, `+Inf`).
 * - `telegraf-prometheus-v2`: the measurement is `prometheus` and fields carry the metric name:
 *   a number is field `<name>`; a histogram is one point with `<name>_count`, `_sum`, `_min`,
 *   `_max` and one point per bucket with tag `le=<bound>` and field `<name>_bucket`.
 */
export type InfluxMetricsSchema = 'telegraf-prometheus-v1' | 'telegraf-prometheus-v2';

export const INFLUX_METRICS_SCHEMAS: readonly InfluxMetricsSchema[] = [
  'telegraf-prometheus-v1',
  'telegraf-prometheus-v2',
];

/** What every point of one data point shares. */
interface PointContext {
  readonly tags: Readonly<Record<string, string>>;
  readonly timestampNs: bigint;
  /** 0 when the point has no start time: the field is then left out. */
  readonly startTimeNs: bigint;
}

/**
 * The points for one data point of `metric` (not an exponential histogram, which neither
 * layout has), or undefined when a value cannot be written (NaN, ±Infinity, an integer
 * outside int64).
 */
export function schemaPoints(
  schema: InfluxMetricsSchema,
  metric: MetricData,
  value: number | Histogram,
  context: PointContext,
): InfluxPoint[] | undefined {
  const v2 = schema === 'telegraf-prometheus-v2';
  const name = metric.descriptor.name;
  const fields: Record<string, FieldValue> = {};
  if (context.startTimeNs !== 0n) fields.start_time_unix_nano = context.startTimeNs;
  const measurement = v2 ? 'prometheus' : name;
  const point = (pointFields: Record<string, FieldValue>, tags = context.tags): InfluxPoint => ({
    measurement,
    tags,
    fields: pointFields,
    timestampNs: context.timestampNs,
  });
  if (typeof value === 'number') {
    const number = numberField(metric, value);
    if (number === undefined) return undefined;
    const v1Key = isCounter(metric) ? 'counter' : 'gauge';
    fields[v2 ? name : v1Key] = number;
    return [point(fields)];
  }
  const summary = histogramSummary(value);
  if (summary === undefined) return undefined;
  const buckets = cumulativeBuckets(value);
  if (!v2) return [point({ ...fields, ...summary, ...Object.fromEntries(buckets) })];
  for (const [key, field] of Object.entries(summary)) fields[`${name}_${key}`] = field;
  const points = [point(fields)];
  for (const [bound, count] of buckets) {
    points.push(point({ [`${name}_bucket`]: count }, { ...context.tags, le: bound }));
  }
  return points;
}

/** Only this is a counter: a delta sum restarts every interval, an up-down sum can fall. */
function isCounter(metric: MetricData): boolean {
  return (
    metric.dataPointType === DataPointType.SUM &&
    metric.isMonotonic &&
    metric.aggregationTemporality === AggregationTemporality.CUMULATIVE
  );
}

/** An integer instrument's value is an integer field, as the collector receives it over OTLP. */
function numberField(metric: MetricData, value: number): FieldValue | undefined {
  if (metric.descriptor.valueType === ValueType.INT) return integerField(value);
  return Number.isFinite(value) ? value : undefined;
}

/** `count`, `sum`, `min`, `max` as recorded, or undefined when the sum is not finite. */
function histogramSummary(value: Histogram): Record<string, number> | undefined {
  const fields: Record<string, number> = { count: value.count };
  if (value.sum !== undefined) {
    if (!Number.isFinite(value.sum)) return undefined;
    fields.sum = value.sum;
  }
  // An empty histogram reports min +Inf and max -Inf: those mean "none", not a value.
  if (value.count > 0 && value.min !== undefined && Number.isFinite(value.min)) {
    fields.min = value.min;
  }
  if (value.count > 0 && value.max !== undefined && Number.isFinite(value.max)) {
    fields.max = value.max;
  }
  return fields;
}

/** Bucket bound names with the count of values at or below each (Prometheus `le`), then `+Inf`. */
function cumulativeBuckets(value: Histogram): [string, number][] {
  const { boundaries, counts } = value.buckets;
  const buckets: [string, number][] = [];
  let cumulative = 0;
  for (let i = 0; i < boundaries.length; i++) {
    cumulative += counts[i] ?? 0;
    buckets.push([formatDecimal(boundaries[i] as number), cumulative]);
  }
  cumulative += counts[boundaries.length] ?? 0;
  buckets.push(['+Inf', cumulative]);
  return buckets;
}

/**
 * A number in plain decimal, never in exponent form, as the collector names bucket bounds
 * (Go's `FormatFloat(v, 'f', -1, 64)`): 1e-7 → `0.0000001`, 1e21 → `1000000000000000000000`.
 */
export function formatDecimal(value: number): string {
  const text = String(value);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  const sign = negative ? '-' : '';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

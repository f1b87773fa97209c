import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  type EncodeStats,
  encodeStandardLine,
  LineProtocolEncodeError,
} from '../../protocol/line-protocol/encode.js';
import type { Sample } from '../../protocol/schema.js';
import { prometheusNameOf } from '../otel/prometheus-naming.js';

/**
 * Aggregated OTel metrics → InfluxDB line protocol in the `telegraf-prometheus-v1` layout
 * (reference notes §4.1), so Telegraf-era dashboards keep working. Pure.
 *
 * - Measurement: the Prometheus-style name (see prometheus-naming.ts), the same on every backend.
 * - Tags, sorted by key: resource attributes, `otel.library.name` / `otel.library.version`,
 *   then the point's attributes (which win on a clash). Non-string values in their string form,
 *   arrays as JSON; empty values are left out.
 * - Fields: a monotonic cumulative sum → `counter`; any other sum, and gauges → `gauge`;
 *   an explicit-bucket histogram → `count`, `sum`, `min`, `max` (when recorded) and one field
 *   per bucket bound, named by the bound in plain decimal (`0.005`, `1`, `+Inf`), holding the
 *   cumulative (Prometheus `le`) count.
 * - Timestamp: the point's end time in nanoseconds.
 * - Not written, and counted: exponential histograms (no telegraf layout exists for them) and
 *   points with NaN or ±Infinity values (line protocol cannot carry them).
 */

export interface SerializeStats {
  lines: number;
  skippedExponentialHistograms: number;
  skippedNonFinite: number;
  /** Characters replaced by `_` in names and tags (line-protocol.ts). */
  replacedChars: number;
}

export function newSerializeStats(): SerializeStats {
  return { lines: 0, skippedExponentialHistograms: 0, skippedNonFinite: 0, replacedChars: 0 };
}

export function resourceMetricsToLines(
  resourceMetrics: ResourceMetrics,
  stats: SerializeStats = newSerializeStats(),
): string[] {
  const lines: string[] = [];
  const resourceTags = attributeTags(resourceMetrics.resource.attributes);
  const encodeStats: EncodeStats = { replacedChars: 0 };
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    const scopeTags: Record<string, string> = { ...resourceTags };
    scopeTags['otel.library.name'] = scopeMetrics.scope.name;
    if (scopeMetrics.scope.version) scopeTags['otel.library.version'] = scopeMetrics.scope.version;
    for (const metric of scopeMetrics.metrics) {
      if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        stats.skippedExponentialHistograms += metric.dataPoints.length;
        continue;
      }
      const measurement = prometheusNameOf(metric);
      for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
        const fields = pointFields(metric, point.value);
        if (fields === undefined) {
          stats.skippedNonFinite++;
          continue;
        }
        const sample: Sample = {
          measurement,
          tags: sortedTags({ ...scopeTags, ...attributeTags(point.attributes) }),
          fields,
          timestampNs: hrTimeToNs(point.endTime),
        };
        try {
          lines.push(encodeStandardLine(sample, encodeStats));
        } catch (error) {
          if (!(error instanceof LineProtocolEncodeError)) throw error;
          stats.skippedNonFinite++;
        }
      }
    }
  }
  stats.lines += lines.length;
  stats.replacedChars += encodeStats.replacedChars;
  return lines;
}

/** The point's fields, or undefined when a value cannot be written. */
function pointFields(
  metric: MetricData,
  value: number | Histogram,
): Record<string, number> | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const counter =
      metric.dataPointType === DataPointType.SUM &&
      metric.isMonotonic &&
      metric.aggregationTemporality === AggregationTemporality.CUMULATIVE;
    return counter ? { counter: value } : { gauge: value };
  }
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
  const { boundaries, counts } = value.buckets;
  let cumulative = 0;
  for (let i = 0; i < boundaries.length; i++) {
    cumulative += counts[i] ?? 0;
    fields[formatDecimal(boundaries[i] as number)] = cumulative;
  }
  cumulative += counts[boundaries.length] ?? 0;
  fields['+Inf'] = cumulative;
  return fields;
}

function attributeTags(attributes: Attributes): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const key in attributes) {
    const text = attributeText(attributes[key]);
    if (text !== undefined && text !== '') tags[key] = text;
  }
  return tags;
}

function attributeText(value: AttributeValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function sortedTags(tags: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  // Byte order for ASCII keys, as InfluxDB prefers.
  for (const key of Object.keys(tags).sort()) sorted[key] = tags[key] as string;
  return sorted;
}

export function hrTimeToNs(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/**
 * A number in plain decimal, never in exponent form (Go's `FormatFloat(v, 'f', -1, 64)`, which
 * otel2influx uses for bucket field names): 1e-7 → `0.0000001`, 1e21 → `1000000000000000000000`.
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

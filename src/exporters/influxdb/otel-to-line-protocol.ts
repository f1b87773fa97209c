import type { HrTime } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type EncodeStats, LineProtocolEncodeError } from '../../protocol/line-protocol/encode.js';
import { encodeInfluxPoint } from './influx-point.js';
import {
  DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES,
  pointTags,
  resourceAttributeFilter,
  scopeTags,
} from './otel-tags.js';
import { type InfluxMetricsSchema, schemaPoints } from './telegraf-schemas.js';

export interface SerializeStats {
  lines: number;
  skippedExponentialHistograms: number;
  /** Points with a NaN or ±Infinity value, or an integer beyond int64. */
  skippedNonFinite: number;
  /** Characters replaced by `_` in names, tags and field keys: no reader takes them alike. */
  replacedChars: number;
}

export function newSerializeStats(): SerializeStats {
  return { lines: 0, skippedExponentialHistograms: 0, skippedNonFinite: 0, replacedChars: 0 };
}

export interface LineLayoutOptions {
  /** Default `telegraf-prometheus-v1`. */
  schema?: InfluxMetricsSchema;
  /**
   * Resource attributes not written as tags: exact keys, or prefixes ending in `*`.
   * Default {@link DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES}; `[]` writes them all.
   */
  excludeResourceAttributes?: readonly string[];
}

/**
 * Aggregated OTel metrics → InfluxDB lines, the same lines the OpenTelemetry Collector's
 * influxdb exporter writes for them (see telegraf-schemas.ts for the two layouts). Pure.
 *
 * - Tags: resource attributes (less `excludeResourceAttributes`), `otel.library.name` /
 *   `otel.library.version`, then the point's attributes, which win on a clash; values in
 *   their string form, arrays as JSON, empty values left out; sorted by key.
 * - Every point also has the integer field `start_time_unix_nano` (the point's start time)
 *   and is stamped with the point's end time, in nanoseconds.
 * - Not written, and counted: exponential histograms (neither layout has them) and points
 *   whose value cannot be written (NaN, ±Infinity: line protocol has no such numbers).
 */
export function resourceMetricsToLines(
  resourceMetrics: ResourceMetrics,
  stats: SerializeStats = newSerializeStats(),
  options: LineLayoutOptions = {},
): string[] {
  const schema = options.schema ?? 'telegraf-prometheus-v1';
  const isExcluded = resourceAttributeFilter(
    options.excludeResourceAttributes ?? DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES,
  );
  const lines: string[] = [];
  const encodeStats: EncodeStats = { replacedChars: 0 };
  const attributes = resourceMetrics.resource.attributes;
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    const baseTags = scopeTags(attributes, scopeMetrics.scope, isExcluded);
    for (const metric of scopeMetrics.metrics) {
      if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        stats.skippedExponentialHistograms += metric.dataPoints.length;
        continue;
      }
      for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
        const points = schemaPoints(schema, metric, point.value, {
          tags: pointTags(baseTags, point.attributes),
          timestampNs: hrTimeToNs(point.endTime),
          startTimeNs: hrTimeToNs(point.startTime),
        });
        if (points === undefined) {
          stats.skippedNonFinite++;
          continue;
        }
        try {
          const encoded = points.map((p) => encodeInfluxPoint(p, encodeStats));
          for (const line of encoded) lines.push(line);
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

export function hrTimeToNs(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

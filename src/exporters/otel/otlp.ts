import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as OtlpJsonExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';

/**
 * OTLP/HTTP metric exporters from resolved settings (config.ts reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables). Every setting is passed explicitly, so what config.ts
 * resolved is what the exporter uses.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type OtlpCompression = 'none' | 'gzip';
export type OtlpTemporality = 'cumulative' | 'delta' | 'lowmemory';

export interface OtlpSettings {
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMillis: number;
  readonly compression: OtlpCompression;
  readonly temporalityPreference: OtlpTemporality;
}

type ExporterOptions = NonNullable<ConstructorParameters<typeof OtlpProtobufExporter>[0]>;

const TEMPORALITY: Readonly<Record<OtlpTemporality, AggregationTemporalityPreference>> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

export function createOtlpExporter(settings: OtlpSettings): PushMetricExporter {
  const options: ExporterOptions = {
    url: settings.url,
    headers: { ...settings.headers },
    timeoutMillis: settings.timeoutMillis,
    // The option is typed with an enum of otlp-exporter-base whose values are these strings.
    compression: settings.compression as NonNullable<ExporterOptions['compression']>,
    temporalityPreference: TEMPORALITY[settings.temporalityPreference],
  };
  return settings.protocol === 'http/json'
    ? new OtlpJsonExporter(options)
    : new OtlpProtobufExporter(options);
}

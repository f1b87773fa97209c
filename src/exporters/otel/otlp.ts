import type * as OtlpHttp from '@opentelemetry/exporter-metrics-otlp-http';
import type * as OtlpProto from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { loadOptionalPeer } from './optional-peer.js';

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

type ExporterOptions = NonNullable<ConstructorParameters<typeof OtlpProto.OTLPMetricExporter>[0]>;

/** The exporter packages are optional peers, loaded only when OTLP is selected. */
const HTTP_PACKAGE = '@opentelemetry/exporter-metrics-otlp-http';
const PROTO_PACKAGE = '@opentelemetry/exporter-metrics-otlp-proto';

/**
 * The values of the exporter's `AggregationTemporalityPreference` enum, written out so that the
 * protobuf exporter does not also need the JSON package loaded just for the enum.
 */
const TEMPORALITY: Readonly<Record<OtlpTemporality, OtlpHttp.AggregationTemporalityPreference>> = {
  delta: 0,
  cumulative: 1,
  lowmemory: 2,
};

/**
 * An OTLP/HTTP metric exporter from resolved settings (export-config.ts reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables, warning about bad ones). Every setting is passed
 * explicitly, so what was resolved is what the exporter uses; only the TLS files
 * (`OTEL_EXPORTER_OTLP_[METRICS_]CERTIFICATE`, `_CLIENT_CERTIFICATE`, `_CLIENT_KEY`) are left
 * to the exporter, which reads them from `process.env` when it is built.
 */
export function createOtlpExporter(settings: OtlpSettings): PushMetricExporter {
  const options: ExporterOptions = {
    url: settings.url,
    headers: { ...settings.headers },
    timeoutMillis: settings.timeoutMillis,
    // The option is typed with an enum of otlp-exporter-base whose values are these strings.
    compression: settings.compression as NonNullable<ExporterOptions['compression']>,
    temporalityPreference: TEMPORALITY[settings.temporalityPreference],
  };
  if (settings.protocol === 'http/json') {
    const http = loadOptionalPeer<typeof OtlpHttp>(HTTP_PACKAGE, 'otlp');
    return new http.OTLPMetricExporter(options);
  }
  const proto = loadOptionalPeer<typeof OtlpProto>(PROTO_PACKAGE, 'otlp');
  return new proto.OTLPMetricExporter(options);
}

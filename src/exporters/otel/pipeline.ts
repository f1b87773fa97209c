import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { ResolvedConfig } from '../export-config.js';
import { createOtlpExporter } from './otlp.js';
import { PrometheusEndpoint } from './prometheus.js';

export interface Pipeline {
  readonly meterProvider: MeterProvider;
  readonly readers: readonly IMetricReader[];
  /** Settles once every reader that serves requests (Prometheus) is listening. */
  readonly ready: Promise<void>;
}

/**
 * Builds the OTel side of a resolved configuration: one reader per selected OTel exporter
 * (plus any the caller adds) on a MeterProvider of our own. Nothing is built when no reader is
 * needed, so the default (`influx` only) leaves the application's global provider in charge.
 *
 * The provider's resource: the SDK's defaults (`telemetry.sdk.*`), then `resourceDefaults`
 * (e.g. `service.version`, `os.type`, `host.arch` of the agent), then what the configuration
 * sets (`service.name`, `OTEL_RESOURCE_ATTRIBUTES`, options), so a user's setting always wins.
 */
export function buildPipeline(
  config: ResolvedConfig,
  extraReaders: readonly IMetricReader[] = [],
  resourceDefaults: Readonly<Record<string, string>> = {},
): Pipeline | undefined {
  const readers: IMetricReader[] = [];
  const waits: Promise<void>[] = [];
  const periodic = (exporter: PushMetricExporter) =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: config.periodic?.exportIntervalMillis,
      exportTimeoutMillis: config.periodic?.exportTimeoutMillis,
    });
  if (config.otlp) readers.push(periodic(createOtlpExporter(config.otlp)));
  if (config.exporters.has('console')) readers.push(periodic(new ConsoleMetricExporter()));
  if (config.prometheus) {
    const endpoint = new PrometheusEndpoint(config.prometheus);
    readers.push(endpoint);
    waits.push(endpoint.ready);
  }
  readers.push(...extraReaders);
  if (readers.length === 0) return undefined;
  const meterProvider = new MeterProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ ...resourceDefaults, ...config.resource }),
    ),
    readers,
  });
  return { meterProvider, readers, ready: Promise.all(waits).then(() => {}) };
}

import type * as PrometheusPackage from '@opentelemetry/exporter-prometheus';
import {
  type CollectionResult,
  type MetricCollectOptions,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { loadOptionalPeer } from './optional-peer.js';
import { prometheusNameOf } from './prometheus-naming.js';

export interface PrometheusEndpointOptions {
  host: string;
  /** 1–65535 (the underlying exporter cannot pick an ephemeral port). */
  port: number;
  /** Default `/metrics`. */
  endpoint?: string;
}

/**
 * The Prometheus pull endpoint: `@opentelemetry/exporter-prometheus` with metric names in the
 * form every other backend of ours uses (unit suffix, `_total`), e.g.
 * `netbird_peer_connection_duration_seconds_bucket`, so the PromQL is the same whether the data
 * arrived by scrape or by OTLP. The server does not keep the process alive.
 *
 * It is a reader on our MeterProvider holding the exporter rather than extending it, so that
 * package, an optional peer, is loaded only when Prometheus is selected. The held exporter
 * collects through this reader, so what it serves is this collection, renamed.
 */
export class PrometheusEndpoint extends MetricReader {
  /** Settles when the HTTP server listens (rejects if it cannot, e.g. the port is taken). */
  readonly ready: Promise<void>;
  readonly #exporter: PrometheusPackage.PrometheusExporter;

  constructor(options: PrometheusEndpointOptions) {
    // The same component type the exporter reports for itself in the SDK's own metrics.
    super({ otelComponentType: 'prometheus_http_text_metric_exporter' });
    const { PrometheusExporter } = loadOptionalPeer<typeof PrometheusPackage>(
      '@opentelemetry/exporter-prometheus',
      'prometheus',
    );
    let settle: (error: Error | undefined) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    this.#exporter = new PrometheusExporter(
      { host: options.host, port: options.port, endpoint: options.endpoint ?? '/metrics' },
      (error) => settle(error ?? undefined),
    );
    this.#exporter.setMetricProducer({ collect: (collectOptions) => this.collect(collectOptions) });
    // The exporter already reports a failed start through diag; callers may await `ready`.
    ready.catch(() => {});
    this.ready = ready;
  }

  override async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const result = await super.collect(options);
    return { ...result, resourceMetrics: withPrometheusNames(result.resourceMetrics) };
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return this.#exporter.shutdown();
  }
}

/** A copy whose metric names are already in Prometheus form. Pure. */
export function withPrometheusNames(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    resource: resourceMetrics.resource,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scopeMetrics) => ({
      scope: scopeMetrics.scope,
      metrics: scopeMetrics.metrics.map((metric) => ({
        ...metric,
        descriptor: { ...metric.descriptor, name: prometheusNameOf(metric) },
      })),
    })),
  };
}

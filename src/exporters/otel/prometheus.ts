import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { CollectionResult, MetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { prometheusNameOf } from './prometheus-naming.js';

/**
 * The Prometheus pull endpoint: `@opentelemetry/exporter-prometheus` with metric names in the
 * form every other backend of ours uses (unit suffix, `_total`), e.g.
 * `netbird_peer_connection_duration_seconds_bucket`, so the PromQL is the same whether the data
 * arrived by scrape or by OTLP. The server does not keep the process alive.
 */

export interface PrometheusEndpointOptions {
  host: string;
  /** 1–65535 (the underlying exporter cannot pick an ephemeral port). */
  port: number;
  /** Default `/metrics`. */
  endpoint?: string;
}

export class PrometheusEndpoint extends PrometheusExporter {
  /** Settles when the HTTP server listens (rejects if it cannot, e.g. the port is taken). */
  readonly ready: Promise<void>;

  constructor(options: PrometheusEndpointOptions) {
    let settle: (error: Error | undefined) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    super(
      { host: options.host, port: options.port, endpoint: options.endpoint ?? '/metrics' },
      (error) => settle(error ?? undefined),
    );
    // The exporter already reports a failed start through diag; callers may await `ready`.
    ready.catch(() => {});
    this.ready = ready;
  }

  override async collect(
    options?: Parameters<MetricReader['collect']>[0],
  ): Promise<CollectionResult> {
    const result = await super.collect(options);
    return { ...result, resourceMetrics: withPrometheusNames(result.resourceMetrics) };
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

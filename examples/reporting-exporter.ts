// An OTel metric exporter that passes everything to another one and remembers how each export
// ended, so an example can say whether its metrics really arrived.
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  type AggregationOption,
  AggregationTemporality,
  AggregationType,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

export class ReportingExporter implements PushMetricExporter {
  delivered = 0;
  failed = 0;
  lastError: string | undefined;
  readonly #inner: PushMetricExporter;

  constructor(inner: PushMetricExporter) {
    this.#inner = inner;
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.#inner.export(metrics, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.delivered++;
      else {
        this.failed++;
        this.lastError = result.error?.message ?? 'export failed';
      }
      done(result);
    });
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.#inner.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE;
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.#inner.selectAggregation?.(type) ?? { type: AggregationType.DEFAULT };
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  /** One line about what happened, and whether everything got through. */
  report(url: string): { ok: boolean; text: string } {
    if (this.failed === 0 && this.delivered > 0) {
      return { ok: true, text: `delivered ${this.delivered} OTLP export(s) to ${url}` };
    }
    const why = this.lastError ?? 'nothing was exported';
    return { ok: false, text: `NOT delivered to ${url}: ${why}` };
  }
}

import {
  type HistogramMetricData,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** A pull reader with no timers: tests record, then collect real `ResourceMetrics`. */
export class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  async collectMetrics(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collect failed');
    return resourceMetrics;
  }
}

export function testProvider(): { provider: MeterProvider; reader: TestReader } {
  const reader = new TestReader();
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

/** The histogram data of one instrument, or undefined when nothing was recorded. */
export function findHistogram(rm: ResourceMetrics, name: string): HistogramMetricData | undefined {
  for (const scope of rm.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric as HistogramMetricData;
    }
  }
  return undefined;
}

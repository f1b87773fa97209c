import type { BatchObservableCallback, Meter, ObservableCounter } from '@opentelemetry/api';

export const SELF_INSTRUMENTS = {
  requests: 'netbird.metrics.push.requests',
  samplesSent: 'netbird.metrics.push.samples_sent',
  retries: 'netbird.metrics.push.retries',
  failures: 'netbird.metrics.push.failures',
  samplesDropped: 'netbird.metrics.samples.dropped',
  samplesRejected: 'netbird.metrics.samples.rejected',
} as const;

/** Description and unit of each instrument. */
const SELF_DESCRIPTIONS: Readonly<
  Record<keyof typeof SELF_INSTRUMENTS, readonly [description: string, unit: string]>
> = {
  requests: ['Push requests made', '{request}'],
  samplesSent: ['Samples accepted by the push server', '{sample}'],
  retries: ['Failed push requests whose samples were kept for a retry', '{request}'],
  failures: ['Failed push requests', '{request}'],
  samplesDropped: [
    'Samples dropped before they were sent, by reason (age, size, server_rejected)',
    '{sample}',
  ],
  samplesRejected: ['Samples refused by the schema and never stored', '{sample}'],
};

export interface SelfMetricsSnapshot {
  requests: number;
  samplesSent: number;
  retries: number;
  failures: number;
  /** Dropped by the store's age bound. */
  droppedByAge: number;
  /** Dropped by the store's size bound. */
  droppedBySize: number;
  /** Dropped because the server refused them (non-retryable 4xx). */
  droppedByServer: number;
  /** Never stored: refused by the schema. */
  rejectedBySchema: number;
}

/**
 * The push path observing itself: its counters as OTel observable counters on the meter of the
 * NetBird instruments, so whatever collects those sees these too. Returns a function that
 * removes them again (when the recordings move to another provider).
 */
export function registerSelfMetrics(meter: Meter, read: () => SelfMetricsSnapshot): () => void {
  const counter = (key: keyof typeof SELF_INSTRUMENTS) => {
    const [description, unit] = SELF_DESCRIPTIONS[key];
    return meter.createObservableCounter(SELF_INSTRUMENTS[key], { description, unit });
  };
  const requests = counter('requests');
  const sent = counter('samplesSent');
  const retries = counter('retries');
  const failures = counter('failures');
  const dropped = counter('samplesDropped');
  const rejected = counter('samplesRejected');
  const all: ObservableCounter[] = [requests, sent, retries, failures, dropped, rejected];
  // One read per collection, shared by all six instruments.
  const observe: BatchObservableCallback = (result) => {
    const s = read();
    result.observe(requests, s.requests);
    result.observe(sent, s.samplesSent);
    result.observe(retries, s.retries);
    result.observe(failures, s.failures);
    result.observe(dropped, s.droppedByAge, { reason: 'age' });
    result.observe(dropped, s.droppedBySize, { reason: 'size' });
    result.observe(dropped, s.droppedByServer, { reason: 'server_rejected' });
    result.observe(rejected, s.rejectedBySchema);
  };
  meter.addBatchObservableCallback(observe, all);
  return () => meter.removeBatchObservableCallback(observe, all);
}

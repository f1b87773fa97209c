import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  InfluxLineProtocolExporter,
  type InfluxLineProtocolExporterOptions,
} from '../../src/exporters/influxdb/influx-metric-exporter.js';
import { type FakeTransport, fakeTransport, status } from '../helpers/fake-transport.js';
import { TestReader } from '../helpers/test-reader.js';

// The InfluxDB exporter's retries under fake timers: when it sends again after a failure, and
// what a flush does with a pending backoff or Retry-After. Its HTTP requests are checked
// against a real server in test/integration/influx-metric-exporter-http.test.ts.

const T0 = 1_750_000_000_000;
let exporter: InfluxLineProtocolExporter | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(async () => {
  const shutdown = exporter?.shutdown();
  exporter = undefined;
  await vi.runOnlyPendingTimersAsync();
  await shutdown;
  vi.useRealTimers();
});

function setup(options: Partial<InfluxLineProtocolExporterOptions> = {}) {
  const fake = fakeTransport();
  exporter = new InfluxLineProtocolExporter({
    url: 'http://influx.test:8086',
    database: 'db1',
    transport: fake.transport,
    ...options,
  });
  const reader = new TestReader();
  const gauge = new MeterProvider({ readers: [reader] }).getMeter('m').createGauge('g');
  /** Collects one point per value, each a separate series (attribute `i`). */
  const collect = async (...values: number[]): Promise<ResourceMetrics> => {
    values.forEach((v, i) => {
      gauge.record(v, { i: String(i) });
    });
    return reader.collectMetrics();
  };
  return { exporter, fake, collect };
}

function exportOnce(e: InfluxLineProtocolExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => e.export(rm, resolve));
}

const gaugeValues = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(/ gauge=([^ ,]+)/.exec(l)?.[1]));

const times = (f: FakeTransport) => f.requests.map((r) => r.at - T0);

describe('InfluxLineProtocolExporter retries', () => {
  it('keeps lines after a 503 and retries them by itself after the backoff, each sent once', async () => {
    const t = setup({ minRetryDelayMillis: 30, random: () => 0 });
    let failing = 2;
    const ok: number[] = [];
    t.fake.handle((request) => {
      if (failing-- > 0) return status(503);
      ok.push(...gaugeValues(request.body));
      return status(204);
    });
    const result = await exportOnce(t.exporter, await t.collect(7, 8));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(t.exporter.stats.buffered).toBe(2);
    await vi.advanceTimersByTimeAsync(29);
    expect(t.fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    // 30 ms after the first failure, then 60 ms after the second.
    expect(times(t.fake)).toEqual([0, 30, 90]);
    expect(ok).toEqual([7, 8]);
    expect(t.exporter.stats).toMatchObject({ retries: 2, failures: 2, linesSent: 2, buffered: 0 });
  });

  it('an export during the backoff waits for it: no request, FAILED, the retry still comes', async () => {
    const t = setup({ minRetryDelayMillis: 1000, random: () => 0 });
    t.fake.handle((_r, i) => (i === 0 ? status(500) : status(204)));
    await exportOnce(t.exporter, await t.collect(1));
    await vi.advanceTimersByTimeAsync(500);
    const waiting = await exportOnce(t.exporter, await t.collect(2));
    expect(waiting.code).toBe(ExportResultCode.FAILED);
    expect(waiting.error?.message).toBe('waiting to retry: HTTP 500');
    expect(t.fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(times(t.fake)).toEqual([0, 1000]);
    // Both lines, the kept one and the one that waited, in one batch.
    expect(t.fake.requests[1]?.body.split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect(t.exporter.stats).toMatchObject({ buffered: 0, linesSent: 2 });
  });

  it('waits for Retry-After even on forceFlush, then sends when it has passed', async () => {
    const t = setup();
    t.fake.handle((_r, i) => (i === 0 ? status(429, '', '60') : status(204)));
    await exportOnce(t.exporter, await t.collect(1));
    await t.exporter.forceFlush();
    expect(t.fake.requests).toHaveLength(1);
    expect(t.exporter.stats.buffered).toBe(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(t.fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(times(t.fake)).toEqual([0, 60_000]);
    expect(t.exporter.stats.buffered).toBe(0);
  });

  it('forceFlush sends what waits for the backoff at once', async () => {
    const t = setup({ minRetryDelayMillis: 60_000 });
    t.fake.handle((_r, i) => status(i === 0 ? 500 : 204));
    await exportOnce(t.exporter, await t.collect(1));
    await vi.advanceTimersByTimeAsync(10);
    await t.exporter.forceFlush();
    expect(times(t.fake)).toEqual([0, 10]);
    expect(t.exporter.stats).toMatchObject({ buffered: 0, linesSent: 1 });
  });

  it('times a silent server out after exactly timeoutMillis', async () => {
    const t = setup({ timeoutMillis: 100, minRetryDelayMillis: 60_000 });
    t.fake.handle(() => 'hang');
    let result: ExportResult | undefined;
    void exportOnce(t.exporter, await t.collect(1)).then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result?.code).toBe(ExportResultCode.FAILED);
    expect(t.exporter.stats).toMatchObject({
      buffered: 1,
      retries: 1,
      lastError: 'request timed out',
    });
  });

  it('backs off exponentially from minRetryDelayMillis up to maxRetryDelayMillis', async () => {
    const t = setup({ minRetryDelayMillis: 100, maxRetryDelayMillis: 500, random: () => 0 });
    t.fake.handle(() => status(503));
    await exportOnce(t.exporter, await t.collect(1));
    await vi.advanceTimersByTimeAsync(1700);
    // 100, 200, 400, then the cap: 500, 500.
    expect(times(t.fake)).toEqual([0, 100, 300, 700, 1200, 1700]);
  });

  it('shutdown cancels a pending retry: nothing is sent after it', async () => {
    const t = setup({ minRetryDelayMillis: 1000 });
    t.fake.handle(() => status(503));
    await exportOnce(t.exporter, await t.collect(1, 2));
    await t.exporter.shutdown();
    expect(t.exporter.stats).toMatchObject({ linesDroppedAtShutdown: 2, buffered: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.fake.requests).toHaveLength(2);
  });
});

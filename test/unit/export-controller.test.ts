import { DiagLogLevel, diag } from '@opentelemetry/api';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExportController } from '../../src/client/export-controller.js';
import type { PushOptions } from '../../src/exporters/push/push-settings.js';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import type { Sample } from '../../src/protocol/schema.js';
import { fakeTransport, status } from '../helpers/fake-transport.js';

// forceFlush() and shutdown() under fake timers: they settle by their deadline whatever the
// push server and the OTel pipeline do, never reject, and report what did not get through.

const PEER = '0123456789abcdef';
const T0 = 1_750_000_000_000;
const DEADLINE = 500;

/** A reader whose flush and shutdown never finish, or fail, as the test says. */
class StuckReader extends MetricReader {
  mode: 'hang' | 'fail' | 'ok' = 'hang';
  protected override onShutdown(): Promise<void> {
    return this.#settle();
  }
  protected override onForceFlush(): Promise<void> {
    return this.#settle();
  }
  #settle(): Promise<void> {
    if (this.mode === 'ok') return Promise.resolve();
    if (this.mode === 'fail') return Promise.reject(new Error('exporter exploded'));
    return new Promise<void>(() => {});
  }
}

const warnings: string[] = [];
let controller: ExportController | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  const ignore = () => {};
  diag.setLogger(
    {
      error: ignore,
      warn: (message: string) => void warnings.push(message),
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    DiagLogLevel.WARN,
  );
});

afterEach(async () => {
  const shutdown = controller?.shutdown();
  controller = undefined;
  await vi.advanceTimersByTimeAsync(DEADLINE);
  await shutdown;
  vi.useRealTimers();
  diag.disable();
  warnings.length = 0;
});

function sample(n: number): Sample {
  return {
    measurement: 'netbird_sync',
    tags: { deployment_type: 'cloud', peer_id: PEER },
    fields: { duration_seconds: n },
  };
}

function setup(options: { reader?: StuckReader; push?: PushOptions } = {}) {
  const store = new SampleStore();
  const fake = fakeTransport();
  controller = new ExportController({
    env: {},
    store,
    agent: () => ({ version: '1.5.0', peerId: PEER }),
    transport: fake.transport,
    ...(options.reader ? { metricReaders: [options.reader] } : {}),
    push: {
      forceSending: true,
      serverUrl: 'http://ingest.test/push',
      intervalMs: 3_600_000,
      shutdownTimeoutMs: DEADLINE,
      ...options.push,
    },
  });
  return { store, fake, controller };
}

/** Starts `work` and tells whether it has settled, without awaiting it. */
function track(work: Promise<void>) {
  const state = { settled: false, rejected: false };
  work.then(
    () => {
      state.settled = true;
    },
    () => {
      state.rejected = true;
    },
  );
  return state;
}

describe('ExportController.shutdown', () => {
  it('resolves at its deadline with a silent push server and a stuck pipeline, and reports', async () => {
    const t = setup({ reader: new StuckReader(), push: { enabled: true } });
    await vi.advanceTimersByTimeAsync(0); // the first cycle: nothing stored yet
    t.store.add(sample(1));
    t.store.add(sample(2));
    t.fake.handle(() => 'hang');
    const shutdown = track(t.controller.shutdown());
    await vi.advanceTimersByTimeAsync(DEADLINE - 1);
    expect(shutdown.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(shutdown).toEqual({ settled: true, rejected: false });
    const delivery = t.controller.deliveryStats();
    expect(delivery).toMatchObject({ incomplete: 1, samplesUndelivered: 2 });
    expect(delivery.lastError).toContain(`push: deadline of ${DEADLINE} ms passed`);
    expect(delivery.lastError).toContain('OTel pipeline: ');
    expect(warnings.filter((w) => w.includes('shutdown did not deliver everything'))).toEqual([
      `netbird-otel-metrics: shutdown did not deliver everything (${delivery.lastError}); 2 samples stay in the store`,
    ]);
    // The samples are kept, the loop has stopped, the request was cut off.
    expect(t.store.size).toBe(2);
    expect(t.controller.pushRunning).toBe(false);
    expect(t.fake.requests.at(-1)?.signal?.aborted).toBe(true);
  });

  it('resolves with a pipeline whose shutdown fails, naming the error', async () => {
    const reader = new StuckReader();
    reader.mode = 'fail';
    const t = setup({ reader });
    const shutdown = track(t.controller.shutdown());
    await vi.advanceTimersByTimeAsync(0);
    expect(shutdown).toEqual({ settled: true, rejected: false });
    expect(t.controller.deliveryStats()).toEqual({
      incomplete: 1,
      samplesUndelivered: 0,
      lastError: 'OTel pipeline: exporter exploded',
    });
  });

  it('reports nothing when everything was delivered', async () => {
    const reader = new StuckReader();
    reader.mode = 'ok';
    const t = setup({ reader, push: { enabled: true } });
    await vi.advanceTimersByTimeAsync(0);
    t.store.add(sample(1));
    await t.controller.shutdown();
    expect(t.fake.requests).toHaveLength(1);
    expect(t.store.size).toBe(0);
    expect(t.controller.deliveryStats()).toEqual({
      incomplete: 0,
      samplesUndelivered: 0,
      lastError: undefined,
    });
    expect(warnings).toEqual([]);
  });

  it('is idempotent: one report, one warning', async () => {
    const t = setup({ reader: new StuckReader() });
    const first = t.controller.shutdown();
    expect(t.controller.shutdown()).toBe(first);
    await vi.advanceTimersByTimeAsync(DEADLINE);
    await first;
    await t.controller.shutdown();
    expect(t.controller.deliveryStats().incomplete).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});

describe('ExportController.forceFlush', () => {
  it('resolves at its deadline while a push request hangs, keeping the samples', async () => {
    const t = setup({ push: { enabled: true } });
    await vi.advanceTimersByTimeAsync(0);
    t.store.add(sample(1));
    t.fake.handle(() => 'hang');
    const flush = track(t.controller.forceFlush());
    await vi.advanceTimersByTimeAsync(DEADLINE - 1);
    expect(flush.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toEqual({ settled: true, rejected: false });
    expect(t.controller.deliveryStats()).toMatchObject({ incomplete: 1, samplesUndelivered: 1 });
    expect(t.controller.pushRunning).toBe(true);
    expect(
      warnings.filter((w) => w.includes('forceFlush did not deliver everything')),
    ).toHaveLength(1);
  });

  it('reports the push server’s last answer, and clears the count once a flush delivers', async () => {
    const t = setup({ push: { enabled: true } });
    await vi.advanceTimersByTimeAsync(0);
    t.store.add(sample(1));
    t.fake.handle(() => status(503, 'maintenance'));
    await t.controller.forceFlush();
    expect(t.controller.deliveryStats()).toEqual({
      incomplete: 1,
      samplesUndelivered: 1,
      lastError: 'push: HTTP 503: maintenance',
    });
    t.fake.handle(() => status(204));
    await t.controller.forceFlush();
    expect(t.store.size).toBe(0);
    expect(t.controller.deliveryStats()).toMatchObject({ incomplete: 1, samplesUndelivered: 0 });
  });

  it('resolves at its deadline with a stuck pipeline (no push)', async () => {
    const t = setup({ reader: new StuckReader() });
    const flush = track(t.controller.forceFlush());
    await vi.advanceTimersByTimeAsync(DEADLINE);
    expect(flush).toEqual({ settled: true, rejected: false });
    expect(t.controller.deliveryStats()).toMatchObject({ incomplete: 1, samplesUndelivered: 0 });
    expect(t.controller.deliveryStats().lastError).toMatch(/^OTel pipeline: /);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchSender, type DrainOptions } from '../../src/exporters/send/batch-sender.js';
import { LineQueue, type TakenLines } from '../../src/exporters/send/line-queue.js';
import { MAX_TIMER_MS, systemScheduler } from '../../src/exporters/send/scheduler.js';
import { SerialRunner } from '../../src/exporters/send/serial-runner.js';
import { fakeTransport, networkError, status } from '../helpers/fake-transport.js';

// The one batch-send engine, on the exporter's line queue, under fake timers.

const T0 = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: { maxBatchItems?: number; maxRequests?: number; maxLines?: number } = {}) {
  const queue = new LineQueue(options.maxLines ?? 100);
  const sender = new BatchSender<TakenLines>({
    queue,
    maxBatchItems: options.maxBatchItems ?? 2,
    maxBatchBytes: 1024,
    maxRequests: options.maxRequests ?? 100,
    requestTimeoutMs: 1000,
    maxRetryMs: 10_000,
    unit: 'lines',
    random: () => 0,
  });
  const fake = fakeTransport();
  const drain = (extra: Partial<DrainOptions> = {}) =>
    sender.drain({
      label: 'test write',
      baseDelayMs: 100,
      waits: 'all',
      send: (body, signal) => fake.transport('http://db.test/write', body, { signal }),
      ...extra,
    });
  return { queue, sender, fake, drain };
}

const lines = (...ids: number[]) => ids.map((i) => `m v=${i}`);
const bodies = (f: ReturnType<typeof fakeTransport>) => f.requests.map((r) => r.body);

describe('BatchSender.drain', () => {
  it('sends the queue in bounded batches and acknowledges each', async () => {
    const t = setup();
    t.queue.push(lines(1, 2, 3, 4, 5));
    expect(await t.drain()).toEqual({ kind: 'done' });
    expect(bodies(t.fake)).toEqual(['m v=1\nm v=2\n', 'm v=3\nm v=4\n', 'm v=5\n']);
    expect(t.queue.size).toBe(0);
    expect(t.sender.counters).toMatchObject({ requests: 3, sent: 5, failures: 0 });
  });

  it('keeps lines queued during a request for the next batch', async () => {
    const t = setup();
    t.queue.push(lines(1, 2));
    t.fake.handle((_r, i) => {
      if (i === 0) t.queue.push(lines(3));
      return status(204);
    });
    await t.drain();
    expect(bodies(t.fake)).toEqual(['m v=1\nm v=2\n', 'm v=3\n']);
  });

  it('ends after maxRequests even if lines keep coming', async () => {
    const t = setup({ maxRequests: 3 });
    t.queue.push(lines(0));
    t.fake.handle((_r, i) => {
      t.queue.push(lines(i + 1));
      return status(204);
    });
    expect(await t.drain()).toEqual({ kind: 'done' });
    expect(t.fake.requests).toHaveLength(3);
    expect(t.queue.size).toBe(1);
  });

  it('a non-retryable 4xx discards that batch only, counted, and ends the drain', async () => {
    const t = setup();
    t.queue.push(lines(1, 2, 3));
    t.fake.handle(() => status(400, 'bad'));
    expect(await t.drain()).toEqual({ kind: 'rejected', message: 'HTTP 400: bad' });
    expect(t.fake.requests).toHaveLength(1);
    expect(t.queue.size).toBe(1);
    expect(t.sender.counters).toMatchObject({ droppedByServer: 2, failures: 1, retries: 0 });
  });

  it('a retryable failure keeps the batch and backs off: 100, 200, 400 … up to the cap', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => status(503));
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const outcome = await t.drain({ waits: 'none' });
      if (outcome.kind === 'retry') delays.push(outcome.delayMs);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    expect(t.queue.size).toBe(1);
    expect(t.sender.counters).toMatchObject({ retries: 9, failures: 9, lastStatus: 503 });
  });

  it('a success resets the backoff; so does a refusal (the server is answering)', async () => {
    const t = setup();
    t.queue.push(lines(1, 2, 3, 4, 5, 6));
    const answers = [status(503), status(503), status(204), status(503), status(400), status(503)];
    t.fake.handle((_r, i) => answers[i] ?? status(204));
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await t.drain({ waits: 'none' }));
    expect(outcomes.map((o) => (o.kind === 'retry' ? o.delayMs : o.kind))).toEqual([
      100,
      200,
      100, // after the success
      'rejected',
      100, // after the refusal
    ]);
  });

  it('Retry-After lengthens the wait, capped at maxRetryMs', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => status(429, '', '3'));
    expect(await t.drain()).toMatchObject({ kind: 'retry', delayMs: 3000 });
    t.fake.handle(() => status(429, '', '3600'));
    await vi.advanceTimersByTimeAsync(3000);
    expect(await t.drain()).toMatchObject({ kind: 'retry', delayMs: 10_000 });
  });

  it('waits: `all` honours the backoff, `retry-after` only Retry-After, `none` neither', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => status(503));
    await t.drain();
    expect(await t.drain({ waits: 'all' })).toEqual({ kind: 'waiting', untilMs: T0 + 100 });
    expect(t.fake.requests).toHaveLength(1);
    expect(await t.drain({ waits: 'retry-after' })).toMatchObject({ kind: 'retry' });
    expect(t.fake.requests).toHaveLength(2);

    t.fake.handle(() => status(503, '', '5'));
    await t.drain({ waits: 'none' });
    const until = Date.now() + 5000;
    expect(await t.drain({ waits: 'retry-after' })).toEqual({ kind: 'waiting', untilMs: until });
    await vi.advanceTimersByTimeAsync(4999);
    expect(await t.drain({ waits: 'retry-after' })).toEqual({ kind: 'waiting', untilMs: until });
    await vi.advanceTimersByTimeAsync(1);
    t.fake.handle(() => status(204));
    expect(await t.drain({ waits: 'retry-after' })).toEqual({ kind: 'done' });
  });

  it('times a request out after exactly requestTimeoutMs, as a retryable failure', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => 'hang');
    let outcome: unknown;
    void t.drain().then((o) => {
      outcome = o;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toMatchObject({ kind: 'retry', message: 'request timed out' });
    expect(t.queue.size).toBe(1);
  });

  it('an abort by the caller is not a failure of the server', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => 'hang');
    const stop = new AbortController();
    const drained = t.drain({ signal: stop.signal });
    await vi.advanceTimersByTimeAsync(10);
    stop.abort();
    expect(await drained).toEqual({ kind: 'aborted' });
    expect(t.sender.counters).toMatchObject({ requests: 1, failures: 0, retries: 0 });
    expect(await t.drain({ signal: stop.signal })).toEqual({ kind: 'aborted' });
    expect(t.fake.requests).toHaveLength(1);
  });

  it('a network error is retryable and recorded', async () => {
    const t = setup();
    t.queue.push(lines(1));
    t.fake.handle(() => networkError('fetch failed: ECONNREFUSED'));
    expect(await t.drain()).toMatchObject({ kind: 'retry', delayMs: 100 });
    expect(t.sender.counters).toMatchObject({
      lastStatus: undefined,
      lastError: 'fetch failed: ECONNREFUSED',
    });
  });

  it('sends nothing while blocked, and nothing for an empty queue', async () => {
    const t = setup();
    expect(await t.drain()).toEqual({ kind: 'done' });
    t.queue.push(lines(1));
    expect(await t.drain({ blocked: () => 'no peer id' })).toEqual({
      kind: 'blocked',
      why: 'no peer id',
    });
    expect(t.fake.requests).toHaveLength(0);
  });
});

describe('BatchSender: one piece of work at a time, on its timer', () => {
  it('run never overlaps two drains, so a batch is never taken twice', async () => {
    const t = setup();
    t.queue.push(lines(1, 2));
    t.fake.handle((r) => {
      setTimeout(() => r.answer(status(204)), 50);
      return 'hang';
    });
    const a = t.sender.run(() => t.drain());
    const b = t.sender.run(() => t.drain());
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([a, b]);
    expect(bodies(t.fake)).toEqual(['m v=1\nm v=2\n']);
  });

  it('a failing piece does not stop the next one', async () => {
    const serial = new SerialRunner();
    const failed = serial.run(async () => {
      throw new Error('boom');
    });
    await expect(failed).rejects.toThrow('boom');
    expect(await serial.run(async () => 7)).toBe(7);
  });

  it('arm runs the work after the delay, replacing an earlier timer; disarm cancels', async () => {
    const t = setup();
    const ran: number[] = [];
    t.sender.arm(100, async () => void ran.push(Date.now() - T0));
    t.sender.arm(300, async () => void ran.push(Date.now() - T0));
    expect(t.sender.armed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual([300]);
    expect(t.sender.armed).toBe(false);
    t.sender.arm(100, async () => void ran.push(-1));
    t.sender.disarm();
    await vi.advanceTimersByTimeAsync(1000);
    expect(ran).toEqual([300]);
  });
});

describe('systemScheduler', () => {
  it('never keeps the process alive and clamps delays a timer cannot hold', () => {
    vi.useRealTimers();
    const timer = systemScheduler.setTimeout(() => {}, 60_000);
    expect(timer.hasRef()).toBe(false);
    systemScheduler.clearTimeout(timer);
    vi.useFakeTimers({ now: T0 });
    let fired = false;
    systemScheduler.setTimeout(
      () => {
        fired = true;
      },
      30 * 24 * 3_600_000,
    );
    vi.advanceTimersByTime(MAX_TIMER_MS - 1);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(true);
  });
});

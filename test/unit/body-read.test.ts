import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BodyResult, readBody } from '../../src/ingest/body.js';
import { BodyRateFloor } from '../../src/ingest/body-rate.js';

/** A request body the test sends piece by piece. */
function body(): { req: IncomingMessage; send(text: string): void; end(): void } {
  const stream = new Readable({ read() {} });
  return {
    req: stream as unknown as IncomingMessage,
    send: (text) => stream.push(Buffer.from(text)),
    end: () => stream.push(null),
  };
}

const LIMITS = { maxRawBytes: 1_000_000, maxDecodedBytes: 1_000_000 };
const RATE = { minBytesPerSecond: 100, windowMs: 1_000 };

/** Lets stream events run (they are queued on the next tick, which fake timers leave alone). */
const ticks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BodyRateFloor', () => {
  it('is too slow only for a window in which less than the floor arrived', () => {
    const floor = new BodyRateFloor({ minBytesPerSecond: 100, windowMs: 2_000 });
    floor.add(150);
    floor.add(50);
    expect(floor.windowEnded()).toBe(false); // 200 in 2 s
    floor.add(199);
    expect(floor.windowEnded()).toBe(true);
    expect(floor.windowEnded()).toBe(true); // nothing at all
  });
});

describe('readBody: the start of a body and its rate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks start only when the first bytes arrive, and stops at once when it refuses', async () => {
    const b = body();
    const start = vi.fn(() => false);
    const consumed: string[] = [];
    const done = readBody(b.req, 'identity', LIMITS, (c) => consumed.push(String(c)) > 0, {
      start,
    });
    await ticks();
    expect(start).not.toHaveBeenCalled();
    b.send('abc');
    const result = await done;
    expect(start).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ problem: 'busy', complete: false, rawBytes: 0 });
    expect(consumed).toEqual([]);
  });

  it('asks start once for a body, at the end of an empty one', async () => {
    const b = body();
    const start = vi.fn(() => true);
    const done = readBody(b.req, 'identity', LIMITS, () => true, { start });
    b.send('abc');
    b.send('def');
    b.end();
    expect(await done).toMatchObject({ problem: undefined, rawBytes: 6 });
    expect(start).toHaveBeenCalledTimes(1);
    const empty = body();
    const emptyStart = vi.fn(() => true);
    const emptyDone = readBody(empty.req, 'identity', LIMITS, () => true, { start: emptyStart });
    empty.end();
    expect(await emptyDone).toMatchObject({ problem: undefined, rawBytes: 0 });
    expect(emptyStart).toHaveBeenCalledTimes(1);
  });

  it('cuts off a body that trickles below the floor over a window', async () => {
    const b = body();
    let result: BodyResult | undefined;
    void readBody(b.req, 'identity', LIMITS, () => true, { minRate: RATE }).then((r) => {
      result = r;
    });
    // 150 bytes in the first second: enough.
    b.send('x'.repeat(150));
    await ticks();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(result).toBeUndefined();
    // Then a byte every 100 ms: 10 bytes a second, cut off at the end of that window.
    for (let i = 0; i < 9; i++) {
      b.send('x');
      await ticks();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100);
    expect(result).toMatchObject({ problem: 'too slow', complete: false, rawBytes: 159 });
  });

  it('cuts off a body that never starts, and never a body that is done', async () => {
    const silent = body();
    const cut = readBody(silent.req, 'identity', LIMITS, () => true, { minRate: RATE });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await cut).toMatchObject({ problem: 'too slow', rawBytes: 0 });

    const quick = body();
    const done = readBody(quick.req, 'identity', LIMITS, () => true, { minRate: RATE });
    quick.send('x');
    quick.end();
    expect(await done).toMatchObject({ problem: undefined, rawBytes: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('has no floor at 0 bytes a second', async () => {
    const b = body();
    let result: BodyResult | undefined;
    const off = { minBytesPerSecond: 0, windowMs: 1_000 };
    void readBody(b.req, 'identity', LIMITS, () => true, { minRate: off }).then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(result).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    b.end();
    await ticks();
    expect(result).toMatchObject({ problem: undefined });
  });
});

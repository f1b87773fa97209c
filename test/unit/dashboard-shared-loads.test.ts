import { describe, expect, it } from 'vitest';
import { SharedLoads } from '../../src/ingest/dashboard/shared-loads.js';

function clock() {
  const c = { now: 0, fn: () => c.now };
  return c;
}

/** A load that resolves when told, recording each start and its signal. */
function loader() {
  const started: AbortSignal[] = [];
  const finishers: Array<(v: number) => void> = [];
  return {
    started,
    load: (signal: AbortSignal) => {
      started.push(signal);
      return new Promise<number>((resolve, reject) => {
        finishers.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    },
    finish: (i: number, v: number) => finishers[i]?.(v),
  };
}

const live = () => new AbortController().signal;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SharedLoads', () => {
  it('runs one load for identical concurrent requests, another for a different key', async () => {
    const c = clock();
    const loads = new SharedLoads<number>({ ttlMs: 0, maxEntries: 4, now: c.fn });
    const l = loader();
    const a = loads.get('k', live(), l.load);
    const b = loads.get('k', live(), l.load);
    const other = loads.get('other', live(), l.load);
    expect(l.started).toHaveLength(2);
    l.finish(0, 7);
    l.finish(1, 9);
    expect(await Promise.all([a, b, other])).toEqual([7, 7, 9]);
  });

  it('reuses a result for ttlMs, then loads again', async () => {
    const c = clock();
    const loads = new SharedLoads<number>({ ttlMs: 5000, maxEntries: 4, now: c.fn });
    const l = loader();
    const first = loads.get('k', live(), l.load);
    l.finish(0, 1);
    expect(await first).toBe(1);
    c.now = 4999;
    expect(await loads.get('k', live(), l.load)).toBe(1);
    expect(l.started).toHaveLength(1);
    c.now = 5000;
    const again = loads.get('k', live(), l.load);
    expect(l.started).toHaveLength(2);
    l.finish(1, 2);
    expect(await again).toBe(2);
  });

  it('keeps at most maxEntries results, dropping the oldest', async () => {
    const c = clock();
    const loads = new SharedLoads<number>({ ttlMs: 60_000, maxEntries: 2, now: c.fn });
    const l = loader();
    for (const [i, key] of ['a', 'b', 'c'].entries()) {
      const p = loads.get(key, live(), l.load);
      l.finish(i, i);
      await p;
    }
    void loads.get('a', live(), l.load);
    void loads.get('c', live(), l.load);
    expect(l.started).toHaveLength(4);
  });

  it('keeps a load running while anyone waits, and aborts it when the last one leaves', async () => {
    const c = clock();
    const loads = new SharedLoads<number>({ ttlMs: 60_000, maxEntries: 4, now: c.fn });
    const l = loader();
    const first = new AbortController();
    const second = new AbortController();
    const a = loads.get('k', first.signal, l.load);
    const b = loads.get('k', second.signal, l.load);
    first.abort(new Error('tab closed'));
    await expect(a).rejects.toThrow('tab closed');
    expect(l.started[0]?.aborted).toBe(false);
    second.abort(new Error('tab closed too'));
    await expect(b).rejects.toThrow('tab closed too');
    expect(l.started[0]?.aborted).toBe(true);
    expect(loads.running).toBe(0);
    // Nothing was kept from the abandoned load: the next request starts afresh.
    const next = loads.get('k', live(), l.load);
    expect(l.started).toHaveLength(2);
    l.finish(1, 3);
    expect(await next).toBe(3);
  });

  it('passes a failure to every waiter and keeps nothing', async () => {
    const c = clock();
    const loads = new SharedLoads<number>({ ttlMs: 60_000, maxEntries: 4, now: c.fn });
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('down'));
    };
    await expect(
      Promise.all([loads.get('k', live(), failing), loads.get('k', live(), failing)]),
    ).rejects.toThrow('down');
    await tick();
    await expect(loads.get('k', live(), failing)).rejects.toThrow('down');
    expect(calls).toBe(2);
  });
});

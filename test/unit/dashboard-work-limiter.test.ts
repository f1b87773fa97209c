import { describe, expect, it } from 'vitest';
import { DashboardBusyError, WorkLimiter } from '../../src/ingest/dashboard/work-limiter.js';

/** A job that finishes when told to, recording that it started. */
function job(log: string[], name: string) {
  let finish: () => void = () => {};
  const done = new Promise<string>((resolve) => {
    finish = () => resolve(name);
  });
  return {
    run: () => {
      log.push(name);
      return done;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkLimiter', () => {
  it('runs at most `concurrency` jobs, the rest in arrival order as slots free', async () => {
    const limiter = new WorkLimiter(2, 5);
    const log: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((n) => job(log, n));
    const signal = new AbortController().signal;
    const results = jobs.map((j) => limiter.run(signal, j.run));
    await tick();
    expect(log).toEqual(['a', 'b']);
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);
    jobs[1]?.finish();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']);
    for (const j of jobs) j.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it('refuses work at once when the queue is full', async () => {
    const limiter = new WorkLimiter(1, 1);
    const log: string[] = [];
    const signal = new AbortController().signal;
    const a = job(log, 'a');
    const b = job(log, 'b');
    const first = limiter.run(signal, a.run);
    const second = limiter.run(signal, b.run);
    await expect(limiter.run(signal, job(log, 'c').run)).rejects.toBeInstanceOf(DashboardBusyError);
    a.finish();
    b.finish();
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(log).toEqual(['a', 'b']);
  });

  it('takes an aborted waiter out of the queue, so it never runs and frees its place', async () => {
    const limiter = new WorkLimiter(1, 1);
    const log: string[] = [];
    const a = job(log, 'a');
    const first = limiter.run(new AbortController().signal, a.run);
    const leaving = new AbortController();
    const waiting = limiter.run(leaving.signal, job(log, 'b').run);
    leaving.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(limiter.queued).toBe(0);
    const c = job(log, 'c');
    const third = limiter.run(new AbortController().signal, c.run);
    a.finish();
    c.finish();
    expect(await Promise.all([first, third])).toEqual(['a', 'c']);
    expect(log).toEqual(['a', 'c']);
    expect(limiter.active).toBe(0);
  });

  it('frees the slot when a job fails', async () => {
    const limiter = new WorkLimiter(1, 0);
    const signal = new AbortController().signal;
    await expect(limiter.run(signal, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(signal, () => Promise.resolve(1))).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/ingest/rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then one request per interval, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, burst: 3, maxKeys: 10, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(10); // 6 per minute: one token every 10 s
    now += 4_000;
    expect(limiter.take('a')).toBe(6);
    now += 6_000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0); // keys are independent
  });

  it('never remembers more than maxKeys keys (least recently used go first)', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 3, now: () => now });
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    limiter.take('a'); // a is now the most recent (and empty)
    for (let i = 0; i < 1000; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBe(3);
    now += 1;
    // 'a' was evicted long ago, so it starts again with a full bucket.
    expect(limiter.take('a')).toBe(0);
  });

  it('perMinute 0 turns the limit off', () => {
    const limiter = new RateLimiter({ perMinute: 0, burst: 1, maxKeys: 1 });
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.size).toBe(0);
  });
});

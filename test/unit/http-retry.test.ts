import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyStatus,
  parseRetryAfter,
  retryDelay,
} from '../../src/protocol/http-retry.js';

describe('classifyStatus: one policy for the push, the metric exporter and the ingest', () => {
  it.each([200, 201, 204, 299])('%d acknowledges', (status) => {
    expect(classifyStatus(status)).toBe('success');
  });
  it.each([408, 429, 500, 502, 503, 504, 599, 301, 307, 100, 401, 403, 404])(
    '%d keeps the batch for retry',
    (s) => {
      expect(classifyStatus(s)).toBe('retry');
    },
  );
  it.each([400, 405, 409, 413, 422, 499])('%d drops the batch', (status) => {
    expect(classifyStatus(status)).toBe('reject');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
  });
  it('reads an HTTP date, relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it.each([null, undefined, '', '-1', '1.5', 'soon', 'tomorrow', '2026-11-25'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('backoff', () => {
  it('doubles per consecutive failure, never below the base and never above the cap', () => {
    const lowest = () => 0;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 10_000, lowest))).toEqual([
      100, 200, 400, 800,
    ]);
    expect(backoffDelay(20, 100, 10_000, lowest)).toBe(10_000);
  });

  it('adds up to 25 % jitter (property: base <= delay <= cap)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 1, max: 1e8 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (failures, base, cap, r) => {
          const d = backoffDelay(failures, base, cap, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.min(base, Math.max(cap, base)));
          expect(d).toBeLessThanOrEqual(Math.max(cap, base));
          if (2 ** (failures - 1) * base * 1.25 < cap) {
            expect(d).toBeLessThan(2 ** (failures - 1) * base * 1.25);
          }
        },
      ),
    );
  });

  it('honours Retry-After when it asks for longer than the backoff, up to the cap', () => {
    expect(retryDelay(1, 100, 10_000, 2_000, () => 0)).toBe(2_000);
    expect(retryDelay(1, 100, 10_000, 50, () => 0)).toBe(100); // never faster than the interval
    expect(retryDelay(1, 100, 10_000, 3_600_000, () => 0)).toBe(10_000); // bounded
    expect(retryDelay(1, 20_000, 10_000, undefined, () => 0)).toBe(20_000); // interval above cap
  });
});

import { describe, expect, it } from 'vitest';
import { retryAfterSeconds, safeUrl } from '../../src/ingest/sinks/upstream-http.js';

describe('safeUrl', () => {
  it('safeUrl hides credentials for logs', () => {
    expect(safeUrl(new URL('http://u:pw@db/write?db=x&u=a&p=secret'))).toBe(
      'http://db/write?db=x&u=a&p=***',
    );
  });
});

describe('retryAfterSeconds (what the ingest relays of its database Retry-After)', () => {
  it('reads seconds and HTTP dates with the shared parser, clamped to 1 s … 1 h', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds('junk', now)).toBeUndefined();
    // Delay-seconds are whole numbers: a fraction is unreadable, as for every other sender.
    expect(retryAfterSeconds('1.5', now)).toBeUndefined();
    expect(retryAfterSeconds('7', now)).toBe(7);
    expect(retryAfterSeconds('0', now)).toBe(1);
    expect(retryAfterSeconds('99999', now)).toBe(3600);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:00 GMT', now)).toBe(1);
  });
});

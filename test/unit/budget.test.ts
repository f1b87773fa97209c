import { describe, expect, it } from 'vitest';
import { InFlightBudget } from '../../src/ingest/push/budget.js';

const bytes = (n: number) => Buffer.alloc(n);

describe('InFlightBudget', () => {
  it('is full at the request limit, and has room again once a claim is released', () => {
    const budget = new InFlightBudget({ maxRequests: 2, maxBytes: 100, maxDecodedBytes: 50 });
    const a = budget.enter(false);
    expect(budget.full).toBe(false);
    const b = budget.enter(false);
    expect(budget.full).toBe(true);
    expect(budget.requests).toBe(2);
    a.release();
    a.release(); // twice is once
    expect(budget.full).toBe(false);
    expect(budget.requests).toBe(1);
    b.release();
    expect(budget.requests).toBe(0);
  });

  it('refuses a decoded chunk that would pass the byte limit, marking the claim over budget', () => {
    const budget = new InFlightBudget({ maxRequests: 4, maxBytes: 100, maxDecodedBytes: 100 });
    const a = budget.enter(false);
    const b = budget.enter(false);
    expect(a.takeDecoded(bytes(60))).toBe(true);
    expect(b.takeDecoded(bytes(40))).toBe(true);
    expect(budget.bytes).toBe(100);
    expect(b.takeDecoded(bytes(1))).toBe(false);
    expect(b.overBudget).toBe(true);
    expect(a.overBudget).toBe(false);
    a.release();
    expect(budget.bytes).toBe(40);
    expect(b.takeDecoded(bytes(60))).toBe(true);
    b.release();
    expect(budget.bytes).toBe(0);
  });

  it('keeps gzip only when the sink forwards it', () => {
    const budget = new InFlightBudget({ maxRequests: 4, maxBytes: 100, maxDecodedBytes: 50 });
    expect(budget.enter(false).keepRaw).toBeUndefined();
    expect(budget.enter(true).keepRaw).toBeTypeOf('function');
  });

  it('keeps gzip only while the whole decoded body would still fit, then lets it all go', () => {
    const budget = new InFlightBudget({ maxRequests: 4, maxBytes: 100, maxDecodedBytes: 50 });
    const claim = budget.enter(true);
    const keep = claim.keepRaw!;
    expect(keep(bytes(30))).toBe(true); // 30 kept + 50 decoded to come: fits in 100
    expect(keep(bytes(20))).toBe(true); // 50 + 50
    expect(budget.bytes).toBe(50);
    expect(keep(bytes(1))).toBe(false); // 51 + 50 would not: what was kept is given back
    expect(budget.bytes).toBe(0);
    // The decoded body itself still has its room.
    expect(claim.takeDecoded(bytes(50))).toBe(true);
    expect(claim.overBudget).toBe(false);
    claim.release();
    expect(budget.bytes).toBe(0);
  });

  it('counts decoded bytes already held against the room gzip must leave', () => {
    const budget = new InFlightBudget({ maxRequests: 4, maxBytes: 100, maxDecodedBytes: 60 });
    const claim = budget.enter(true);
    expect(claim.takeDecoded(bytes(40))).toBe(true); // 20 of the 60 still to come
    expect(claim.keepRaw!(bytes(40))).toBe(true); // 40 + 40 held, 20 to come: 100
    expect(claim.keepRaw!(bytes(1))).toBe(false);
    expect(budget.bytes).toBe(40);
    claim.release();
    expect(budget.bytes).toBe(0);
  });
});

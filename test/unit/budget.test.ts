import { describe, expect, it } from 'vitest';
import { type BudgetClaim, InFlightBudget } from '../../src/ingest/push/budget.js';

const bytes = (n: number) => Buffer.alloc(n);

/** A claim whose slot is taken, as once its body began to arrive. */
function entered(budget: InFlightBudget, keepGzip: boolean, clients: string[] = []): BudgetClaim {
  const claim = budget.claim(keepGzip, clients);
  expect(claim.start()).toBe(true);
  return claim;
}

describe('InFlightBudget', () => {
  it('is full at the request limit, and has room again once a claim is released', () => {
    const budget = new InFlightBudget({ maxRequests: 2, maxBytes: 100, maxDecodedBytes: 50 });
    const a = entered(budget, false);
    expect(budget.full).toBe(false);
    const b = entered(budget, false);
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
    const a = entered(budget, false);
    const b = entered(budget, false);
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
    expect(entered(budget, false).keepRaw).toBeUndefined();
    expect(entered(budget, true).keepRaw).toBeTypeOf('function');
  });

  it('keeps gzip only while the whole decoded body would still fit, then lets it all go', () => {
    const budget = new InFlightBudget({ maxRequests: 4, maxBytes: 100, maxDecodedBytes: 50 });
    const claim = entered(budget, true);
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
    const claim = entered(budget, true);
    expect(claim.takeDecoded(bytes(40))).toBe(true); // 20 of the 60 still to come
    expect(claim.keepRaw!(bytes(40))).toBe(true); // 40 + 40 held, 20 to come: 100
    expect(claim.keepRaw!(bytes(1))).toBe(false);
    expect(budget.bytes).toBe(40);
    claim.release();
    expect(budget.bytes).toBe(0);
  });

  it('takes a slot only when a claim starts, not when it is made', () => {
    const budget = new InFlightBudget({ maxRequests: 1, maxBytes: 100, maxDecodedBytes: 50 });
    const waiting = Array.from({ length: 10 }, () => budget.claim(false, ['address a']));
    expect(budget.requests).toBe(0);
    expect(budget.full).toBe(false);
    expect(waiting[0]!.start()).toBe(true);
    expect(waiting[0]!.start()).toBe(true); // twice is once
    expect(budget.requests).toBe(1);
    expect(waiting[1]!.start()).toBe(false);
    expect(waiting[1]!.overBudget).toBe(true);
    for (const c of waiting) c.release();
    expect(budget.requests).toBe(0);
    // A released claim never takes a slot afterwards.
    expect(waiting[2]!.start()).toBe(false);
    expect(budget.requests).toBe(0);
  });

  it('gives each client at most its share of the slots, whoever else is waiting', () => {
    const budget = new InFlightBudget({
      maxRequests: 8,
      maxBytes: 1000,
      maxDecodedBytes: 100,
      maxRequestsPerClient: 2,
    });
    const a1 = entered(budget, false, ['address a', 'peer 1']);
    entered(budget, false, ['address a', 'peer 2']);
    // The third push of address a is refused though six slots are free, under a new peer id too.
    expect(budget.hasRoomFor(['address a', 'peer 3'])).toBe(false);
    const a3 = budget.claim(false, ['address a', 'peer 3']);
    expect(a3.start()).toBe(false);
    expect(a3.overBudget).toBe(true);
    // A peer id is a client too, from any address.
    entered(budget, false, ['address b', 'peer 1']);
    expect(budget.claim(false, ['address c', 'peer 1']).start()).toBe(false);
    // Other clients still get in.
    for (const x of ['c', 'd', 'e']) entered(budget, false, [`address ${x}`, `peer ${x}`]);
    expect(budget.requests).toBe(6);
    a1.release();
    expect(budget.claim(false, ['address a', 'peer 3']).start()).toBe(true);
  });

  it('gives each client at most its share of the bytes, and forgets clients holding nothing', () => {
    const budget = new InFlightBudget({
      maxRequests: 8,
      maxBytes: 1000,
      maxDecodedBytes: 100,
      maxBytesPerClient: 250,
    });
    const a = ['address a'];
    const first = entered(budget, false, ['address a', 'peer 1']);
    const second = entered(budget, false, ['address a', 'peer 2']);
    expect(first.takeDecoded(bytes(200))).toBe(true);
    expect(second.takeDecoded(bytes(50))).toBe(true);
    expect(second.takeDecoded(bytes(1))).toBe(false); // 251 for address a, 251 of 1000 in all
    expect(second.overBudget).toBe(true);
    const other = entered(budget, false, ['address b', 'peer 3']);
    expect(other.takeDecoded(bytes(250))).toBe(true);
    expect(budget.clients).toBe(5);
    // Gzip kept is let go rather than refused, so only the whole budget bounds it.
    const third = entered(budget, true, [...a, 'peer 4']);
    expect(third.keepRaw!(bytes(1))).toBe(true);
    expect(third.takeDecoded(bytes(1))).toBe(false);
    for (const c of [first, second, other, third]) c.release();
    expect([budget.bytes, budget.requests, budget.clients]).toEqual([0, 0, 0]);
  });
});

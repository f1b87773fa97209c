import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePanels, PANELS, type TimeRange } from '../../src/ingest/dashboard/panels.js';
import type { Sample } from '../../src/protocol/schema.js';

const T0 = 1_700_000_000_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const ALL: TimeRange = { from: T0 - 1, to: T0 + 10_000_000 };

function conn(
  at: number,
  pair: string,
  type: string,
  total: number,
  signaling = total * 0.9,
  handshake = total * 0.1,
  peer = 'aaaaaaaaaaaaaaaa',
): Sample {
  return {
    measurement: 'netbird_peer_connection',
    tags: {
      connection_type: type,
      attempt_type: 'initial',
      peer_id: peer,
      connection_pair_id: pair,
    },
    fields: {
      connection_to_wg_handshake_seconds: handshake,
      signaling_to_connection_seconds: signaling,
      total_seconds: total,
    },
    timestampNs: ns(at),
  };
}
const sync = (at: number, seconds: number): Sample => ({
  measurement: 'netbird_sync',
  tags: {},
  fields: { duration_seconds: seconds },
  timestampNs: ns(at),
});
const login = (at: number, seconds: number, result: string): Sample => ({
  measurement: 'netbird_login',
  tags: { result },
  fields: { duration_seconds: seconds },
  timestampNs: ns(at),
});

describe('computePanels', () => {
  it('has the eight panels of the reference dashboard', () => {
    expect(PANELS.map((p) => p.title)).toEqual([
      'Sync Duration Extremes',
      'Total Connection Time Extremes',
      'Sync Duration',
      'ICE vs Relay',
      'Connection Stage Durations (avg)',
      'Total Connection Time',
      'Login Duration',
      'Login Success vs Failure',
    ]);
  });

  it('computes extremes, points, averages and login counts from the samples in range', () => {
    const samples = [
      sync(T0 + 1000, 0.5),
      sync(T0 + 2000, 0.1),
      sync(T0 + 3000, 2.5),
      sync(T0 - 5000, 99), // before the range
      conn(T0 + 1500, 'p1', 'relay', 1, 0.8, 0.2),
      conn(T0 + 2500, 'p2', 'ice_p2p', 3, 2, 1),
      login(T0 + 100, 0.9, 'success'),
      login(T0 + 200, 4, 'failure'),
      login(T0 + 300, 1.1, 'success'),
    ];
    const d = computePanels(samples, { from: T0, to: T0 + 10_000 });
    expect(d.syncDurationExtremes).toEqual({ min: 0.1, max: 2.5, count: 3 });
    expect(d.totalConnectionTimeExtremes).toEqual({ min: 1, max: 3, count: 2 });
    expect(d.syncDuration.points).toEqual([
      { t: T0 + 1000, v: 0.5 },
      { t: T0 + 2000, v: 0.1 },
      { t: T0 + 3000, v: 2.5 },
    ]);
    expect(d.totalConnectionTime.points.map((p) => p.v)).toEqual([1, 3]);
    expect(d.connectionStageDurations).toEqual([
      { label: 'Avg Signaling to Connection', value: 1.4, count: 2 },
      { label: 'Avg Connection to WG Handshake', value: 0.6, count: 2 },
    ]);
    expect(d.loginDuration.points.map((p) => p.group)).toEqual(['success', 'failure', 'success']);
    expect(d.loginSuccessVsFailure).toEqual([
      { label: 'success', count: 2 },
      { label: 'failure', count: 1 },
    ]);
    expect(d.truncated).toBeUndefined();
  });

  it('counts each peer pair once, under the type of its last connection', () => {
    const samples = [
      // p1: relay first, then upgraded to ice_p2p on reconnection; both ends report.
      conn(T0 + 10, 'p1', 'relay', 1, 0.5, 0.5, 'aaaaaaaaaaaaaaaa'),
      conn(T0 + 11, 'p1', 'relay', 1, 0.5, 0.5, 'bbbbbbbbbbbbbbbb'),
      conn(T0 + 500, 'p1', 'ice_p2p', 2, 1, 1, 'aaaaaaaaaaaaaaaa'),
      conn(T0 + 501, 'p1', 'ice_p2p', 2, 1, 1, 'bbbbbbbbbbbbbbbb'),
      // p2: only relay; p3: ice_turn, then relay (out of order in the input).
      conn(T0 + 20, 'p2', 'relay', 1),
      conn(T0 + 900, 'p3', 'relay', 1),
      conn(T0 + 30, 'p3', 'ice_turn', 1),
    ];
    const d = computePanels(samples, ALL);
    expect(d.iceVsRelay).toEqual([
      { label: 'ice_p2p', count: 1 },
      { label: 'relay', count: 2 },
    ]);
  });

  it('keeps extremes and counts exact when the plots are bounded', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => sync(T0 + i, (i % 97) / 10 + 0.01));
    const d = computePanels(samples, ALL, { maxPoints: 10, maxPairs: 10 });
    expect(d.syncDuration.points).toHaveLength(10);
    expect(d.syncDuration.total).toBe(1000);
    expect(d.syncDuration.selection).toBe('uniform sample');
    expect(d.syncDurationExtremes).toEqual({ min: 0.01, max: 9.61, count: 1000 });
    // Sorted by time, and the same data always shows the same points.
    const times = d.syncDuration.points.map((p) => p.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(computePanels(samples, ALL, { maxPoints: 10, maxPairs: 10 }).syncDuration).toEqual(
      d.syncDuration,
    );
  });

  it('bounds the pair table and says what it did not count', () => {
    const samples = Array.from({ length: 30 }, (_, i) => conn(T0 + i, `pair${i}`, 'relay', 1));
    const d = computePanels(samples, ALL, { maxPoints: 100, maxPairs: 25 });
    expect(d.iceVsRelay).toEqual([{ label: 'relay', count: 25 }]);
    expect(d.truncated).toContain('5 samples');
    expect(d.totalConnectionTimeExtremes.count).toBe(30);
  });

  it('refuses limits below one', () => {
    expect(() => computePanels([], ALL, { maxPoints: 0, maxPairs: 1 })).toThrow(RangeError);
  });

  it('counts every pair once whatever the order and repetition of samples (property)', () => {
    const sampleArb = fc.record({
      at: fc.integer({ min: 0, max: 1_000_000 }),
      pair: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'),
      type: fc.constantFrom('ice_p2p', 'ice_turn', 'relay'),
    });
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 60 }), (rows) => {
        const samples = rows.map((r) => conn(T0 + r.at, r.pair, r.type, 1));
        const d = computePanels(samples, ALL);
        const pairs = new Set(rows.map((r) => r.pair));
        expect(d.iceVsRelay.reduce((n, s) => n + s.count, 0)).toBe(pairs.size);
        // The type counted for a pair is the type of its latest sample (earliest input on ties).
        const latest = new Map<string, { at: number; type: string }>();
        for (const r of rows) {
          const seen = latest.get(r.pair);
          if (seen === undefined || r.at > seen.at) latest.set(r.pair, { at: r.at, type: r.type });
        }
        const expected = new Map<string, number>();
        for (const { type } of latest.values()) expected.set(type, (expected.get(type) ?? 0) + 1);
        expect(new Map(d.iceVsRelay.map((s) => [s.label, s.count]))).toEqual(expected);
      }),
    );
  });
});

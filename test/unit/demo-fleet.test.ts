import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, parseDemoArgs, UsageError } from '../../examples/demo/cli-options.js';
import { logNormal, seededRandom, split } from '../../examples/demo/distributions.js';
import { type FleetEvent, planFleet } from '../../examples/demo/fleet.js';
import { formatProgress } from '../../examples/demo/progress.js';
import { distribution, quantile } from '../../examples/demo/summary.js';
import { recordDemoFleet } from '../helpers/demo-data.js';

const WINDOW = 30 * 60_000;

describe('fleet plan', () => {
  it('is the same for the same seed and different for another', () => {
    const a = planFleet({ peers: 40, windowMs: WINDOW, seed: 3 });
    const b = planFleet({ peers: 40, windowMs: WINDOW, seed: 3 });
    const c = planFleet({ peers: 40, windowMs: WINDOW, seed: 4 });
    expect(b).toEqual(a);
    expect(c.events).not.toEqual(a.events);
  });

  it('keeps events in time order inside the window, each peer logging in before it syncs', () => {
    const { events, peers } = planFleet({ peers: 120, windowMs: WINDOW, seed: 1 });
    for (let i = 1; i < events.length; i++) {
      expect((events[i] as FleetEvent).at).toBeGreaterThanOrEqual((events[i - 1] as FleetEvent).at);
    }
    expect(events.every((e) => e.at >= 0 && e.at < WINDOW)).toBe(true);
    for (const peer of peers) {
      const own = events.filter((e) => e.peer === peer.index && e.kind !== 'disconnect');
      const firstSuccess = own.findIndex((e) => e.kind === 'login' && e.success);
      const firstOther = own.findIndex((e) => e.kind !== 'login');
      if (firstOther >= 0) expect(firstSuccess).toBeGreaterThanOrEqual(0);
      if (firstOther >= 0) expect(firstSuccess).toBeLessThan(firstOther);
    }
  });

  it('has the mix an operator expects: three transports, reconnections, login failures, phases', () => {
    const { events } = planFleet({ peers: 300, windowMs: WINDOW, seed: 1 });
    const conns = events.filter((e) => e.kind === 'connection');
    const types = new Map<string, number>();
    for (const e of conns) types.set(e.connectionType, (types.get(e.connectionType) ?? 0) + 1);
    expect([...types.keys()].sort()).toEqual(['ice_p2p', 'ice_turn', 'relay']);
    for (const n of types.values()) expect(n / conns.length).toBeGreaterThan(0.05);
    const logins = events.filter((e) => e.kind === 'login');
    const failures = logins.filter((e) => !e.success).length;
    expect(failures / logins.length).toBeGreaterThan(0.02);
    expect(failures / logins.length).toBeLessThan(0.2);
    expect(events.some((e) => e.kind === 'disconnect')).toBe(true);
    for (const e of events) {
      if (e.kind !== 'sync') continue;
      const phases = e.phases.reduce((n, [, s]) => n + s, 0);
      expect(phases).toBeLessThanOrEqual(e.seconds);
      expect(e.phases.length === 3 || e.phases.length === 14).toBe(true);
    }
    for (const e of conns) {
      expect(e.readyAt).toBeGreaterThanOrEqual(e.signalingAt);
      // WireGuard reports whole seconds.
      expect(e.handshakeAt % 1000).toBe(0);
      expect(e.at).toBeGreaterThan(e.readyAt);
    }
  });

  it('refuses sizes it cannot simulate', () => {
    expect(() => planFleet({ peers: 1, windowMs: WINDOW, seed: 1 })).toThrow(/peers/);
    expect(() => planFleet({ peers: 10, windowMs: 1000, seed: 1 })).toThrow(/window/);
    expect(() => planFleet({ peers: 10, windowMs: WINDOW, seed: 1.5 })).toThrow(/seed/);
  });
});

describe('fleet played into ClientMetrics', () => {
  it('records every planned event as a valid sample, with the stage times the plan gave', () => {
    const end = 1_800_000_000_000;
    const demo = recordDemoFleet({ peers: 60, seed: 2, windowMs: WINDOW, end });
    const planned = demo.plan.events;
    const count = (m: string) => demo.samples.filter((s) => s.measurement === m).length;
    expect(count('netbird_login')).toBe(planned.filter((e) => e.kind === 'login').length);
    expect(count('netbird_sync')).toBe(planned.filter((e) => e.kind === 'sync').length);
    expect(count('netbird_sync_phase')).toBe(
      planned.reduce((n, e) => n + (e.kind === 'sync' ? e.phases.length : 0), 0),
    );
    const conns = planned.filter((e) => e.kind === 'connection');
    expect(count('netbird_peer_connection')).toBe(conns.length);
    const reconnections = demo.samples.filter((s) => s.tags.attempt_type === 'reconnection');
    expect(reconnections.length).toBeGreaterThan(0);
    // Timestamps lie in the window and carry the simulated time of the event.
    for (const s of demo.samples) {
      const ms = Number(s.timestampNs / 1_000_000n);
      expect(ms).toBeGreaterThanOrEqual(demo.from);
      expect(ms).toBeLessThanOrEqual(demo.to);
    }
    // Stage durations are the planned ones (handshake clamped to ready, as WireGuard's whole
    // seconds require).
    const first = conns[0];
    if (first === undefined) throw new Error('no connection planned');
    const sample = demo.samples.find(
      (s) =>
        s.measurement === 'netbird_peer_connection' &&
        Number(s.timestampNs / 1_000_000n) === Math.floor(demo.from + first.at),
    );
    expect(sample?.fields.signaling_to_connection_seconds).toBeCloseTo(
      (first.readyAt - first.signalingAt) / 1000,
      6,
    );
    const handshake = Math.max(first.handshakeAt, first.readyAt);
    expect(sample?.fields.total_seconds).toBeCloseTo((handshake - first.signalingAt) / 1000, 6);
    // Both ends of a pair report the same connection_pair_id, and peers have peer ids.
    const pairs = new Map<string, Set<string>>();
    for (const s of demo.samples) {
      if (s.measurement !== 'netbird_peer_connection') continue;
      const ids = pairs.get(s.tags.connection_pair_id ?? '') ?? new Set();
      ids.add(s.tags.peer_id ?? '');
      pairs.set(s.tags.connection_pair_id ?? '', ids);
    }
    expect([...pairs.values()].filter((ids) => ids.size === 2).length).toBeGreaterThan(
      pairs.size / 2,
    );
    expect(demo.samples.every((s) => /^[0-9a-f]{16}$/.test(s.tags.peer_id ?? ''))).toBe(true);
  });
});

describe('distributions', () => {
  it('log-normal draws have the median and p95 they are given', () => {
    const random = seededRandom(11);
    const draws = Array.from({ length: 20_000 }, () =>
      logNormal(random, { median: 0.9, p95: 3.5 }),
    );
    const d = distribution(draws);
    expect(d.p50).toBeGreaterThan(0.85);
    expect(d.p50).toBeLessThan(0.95);
    expect(d.p95).toBeGreaterThan(3.2);
    expect(d.p95).toBeLessThan(3.8);
    expect(() => logNormal(random, { median: 2, p95: 1 })).toThrow(RangeError);
  });

  it('split shares add up to the total', () => {
    const parts = split(seededRandom(5), 1.5, [1, 2, 3, 0.5]);
    expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(1.5, 12);
    expect(parts.every((p) => p >= 0)).toBe(true);
  });

  it('quantile interpolates between closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('demo command line', () => {
  it('has defaults that end within 30 s and flags for size and duration', () => {
    expect(parseDemoArgs([])).toEqual(DEMO_DEFAULTS);
    expect(DEMO_DEFAULTS.durationSeconds).toBeLessThanOrEqual(20);
    expect(parseDemoArgs(['--peers', '50', '--duration', '3', '--serve'])).toMatchObject({
      peers: 50,
      durationSeconds: 3,
      serve: true,
    });
    expect(parseDemoArgs(['-h'])).toBe('help');
  });

  it('names the bad flag', () => {
    expect(() => parseDemoArgs(['--peers', 'many'])).toThrow(/--peers "many"/);
    expect(() => parseDemoArgs(['--peers', '1'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--window', '1', '--duration', '90'])).toThrow(/window/);
  });

  it('shows progress on one line', () => {
    const line = formatProgress({
      elapsedMs: 6000,
      durationMs: 12_000,
      simTime: Date.UTC(2024, 0, 1, 12, 0, 0),
      peers: 300,
      tally: {
        played: 10,
        total: 20,
        peersOnline: 150,
        logins: 160,
        loginFailures: 10,
        syncs: 400,
        syncPhases: 4000,
        connections: 800,
        reconnections: 90,
        refused: 0,
      },
      pushedSamples: 5000,
      pushRequests: 300,
    });
    expect(line).not.toContain('\n');
    expect(line).toContain('online 150/300');
    expect(line).toContain('pushed 5000 samples in 300 requests');
    expect(line).toContain('████████░░░░░░░░');
  });
});

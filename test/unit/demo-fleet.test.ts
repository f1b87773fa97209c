import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, parseDemoArgs, UsageError } from '../../examples/demo/cli-options.js';
import { logNormal, seededRandom, split } from '../../examples/demo/distributions.js';
import { type FleetEvent, planFleet } from '../../examples/demo/fleet.js';
import { formatProgress } from '../../examples/demo/progress.js';
import { formatSummary, summarize } from '../../examples/demo/summary.js';
import { quantiles } from '../../src/ingest/dashboard/quantiles.js';
import type { Sample } from '../../src/protocol/schema.js';
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
    const d = quantiles(draws);
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

describe('demo summary', () => {
  const sample = (
    measurement: string,
    fields: Record<string, number>,
    tags: Record<string, string> = {},
  ): Sample => ({ measurement, fields, tags: { peer_id: 'a1', ...tags }, timestampNs: 1n });
  // Twenty connections with total 1 … 20 s; handshakes 0 s, the last one 1 s.
  const conns = Array.from({ length: 20 }, (_, i) =>
    sample(
      'netbird_peer_connection',
      {
        signaling_to_connection_seconds: (i + 1) / 10,
        connection_to_wg_handshake_seconds: i === 19 ? 1 : 0,
        total_seconds: i + 1,
      },
      { connection_pair_id: `p${i % 4}`, connection_type: 'relay' },
    ),
  );
  const samples: Sample[] = [
    ...conns,
    sample('netbird_sync', { duration_seconds: 0.3 }),
    sample('netbird_sync', { duration_seconds: 0.1 }),
    // Phases out of order, one a newer client's: shown in the order a sync runs them.
    sample('netbird_sync_phase', { duration_seconds: 0.02 }, { phase: 'routes_apply' }),
    sample('netbird_sync_phase', { duration_seconds: 0.5 }, { phase: 'a_future_phase' }),
    sample('netbird_sync_phase', { duration_seconds: 0.01 }, { phase: 'netbird_config' }),
    sample('netbird_sync_phase', { duration_seconds: 0.03 }, { phase: 'netbird_config' }),
    sample('netbird_login', { duration_seconds: 2 }, { result: 'success' }),
    sample('netbird_login', { duration_seconds: 9 }, { result: 'failure' }),
    sample('netbird_login', { duration_seconds: 1 }, { result: 'success' }),
  ];
  const s = summarize(samples);

  it('takes count, p50, p95, p99 and max of every stage, the total, sync, each phase and login', () => {
    // Ranks 10, 19 and 20 of 20 (n·p/100 rounded).
    expect(s.connections.stages.total).toEqual({ count: 20, p50: 10, p95: 19, p99: 20, max: 20 });
    expect(s.connections.stages.signaling_to_connection).toEqual({
      count: 20,
      p50: 1,
      p95: 1.9,
      p99: 2,
      max: 2,
    });
    // A sample, not a value between 0 and 1 s.
    expect(s.connections.stages.connection_to_wg_handshake).toEqual({
      count: 20,
      p50: 0,
      p95: 0,
      p99: 1,
      max: 1,
    });
    expect(s.sync).toEqual({ count: 2, p50: 0.1, p95: 0.3, p99: 0.3, max: 0.3 });
    expect(s.syncPhases).toEqual([
      ['netbird_config', { count: 2, p50: 0.01, p95: 0.03, p99: 0.03, max: 0.03 }],
      ['routes_apply', { count: 1, p50: 0.02, p95: 0.02, p99: 0.02, max: 0.02 }],
      ['a_future_phase', { count: 1, p50: 0.5, p95: 0.5, p99: 0.5, max: 0.5 }],
    ]);
    expect(s.login.duration).toEqual({ count: 3, p50: 2, p95: 9, p99: 9, max: 9 });
    expect(s.login).toMatchObject({ attempts: 3, success: 2, failure: 1 });
  });

  it('prints one line per distribution with n, p50, p95, p99 and max', () => {
    const text = formatSummary(s, 'a test');
    const line = (label: string) =>
      text.split('\n').find((l) => l.startsWith(`  ${label} `)) ?? `no line for ${label}`;
    const row = /^ {2}\S.*?\s+n=(\d+)\s+p50 (.+?)\s+p95 (.+?)\s+p99 (.+?)\s+max (.+)$/;
    expect(row.exec(line('stage total'))?.slice(1)).toEqual(['20', '10 s', '19 s', '20 s', '20 s']);
    expect(row.exec(line('stage connection_to_wg_handshake'))?.slice(1)).toEqual([
      '20',
      '0 ms',
      '0 ms',
      '1 s',
      '1 s',
    ]);
    expect(row.exec(line('sync'))?.slice(1)).toEqual(['2', '100 ms', '300 ms', '300 ms', '300 ms']);
    expect(row.exec(line('sync phase netbird_config'))?.slice(1)).toEqual([
      '2',
      '10 ms',
      '30 ms',
      '30 ms',
      '30 ms',
    ]);
    expect(row.exec(line('login'))?.slice(1)).toEqual(['3', '2 s', '9 s', '9 s', '9 s']);
    const phases = text.split('\n').filter((l) => l.startsWith('  sync phase '));
    expect(phases.map((l) => l.split(/\s+/)[3])).toEqual([
      'netbird_config',
      'routes_apply',
      'a_future_phase',
    ]);
    expect(text.startsWith('Summary (read back from a test)\n')).toBe(true);
  });
});

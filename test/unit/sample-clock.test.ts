import { afterEach, describe, expect, it, vi } from 'vitest';
import { SampleClock } from '../../src/exporters/push/sample-clock.js';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import { createClientMetrics } from '../../src/index.js';
import type { Sample } from '../../src/protocol/schema.js';

const T0 = Date.UTC(2026, 10, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NS = 1_000_000n;
/** The last second a signed 32-bit time_t can hold: a classic bad clock reading. */
const Y2038 = Date.UTC(2038, 0, 19, 3, 14, 7);

const sync = (seconds: number): Sample => ({
  measurement: 'netbird_sync',
  tags: { deployment_type: 'selfhosted', peer_id: '0123456789abcdef' },
  fields: { duration_seconds: seconds },
});

/**
 * Real time runs on `elapsed`; the wall clock reads real time plus `offset`, unless `next`
 * holds a one-off reading.
 */
function clocks(start = T0) {
  const c = {
    elapsed: 0,
    offset: 0,
    next: [] as number[],
    wall: () => c.next.shift() ?? start + c.elapsed + c.offset,
    monotonic: () => 5_000 + c.elapsed,
  };
  return c;
}

const ms = (ns: bigint) => Number(ns / NS);

describe('SampleClock', () => {
  it('follows the wall clock while it agrees with the monotonic one', () => {
    const c = clocks();
    const clock = new SampleClock(c);
    c.elapsed = 1234.5;
    expect(clock.stamp()).toBe(BigInt(T0 + 1234) * NS + 500_000n);
  });

  it('after a one-hour step back, the next hour is spread out, increasing, and meets the wall clock', () => {
    const c = clocks();
    const clock = new SampleClock(c);
    const before: bigint[] = [];
    for (let m = 0; m < 60; m++) {
      c.elapsed = m * MINUTE;
      before.push(clock.stamp());
    }
    c.offset = -HOUR; // the wall clock is set back an hour
    const after: bigint[] = [];
    for (let m = 60; m < 240; m++) {
      c.elapsed = m * MINUTE;
      after.push(clock.stamp());
    }
    const all = [...before, ...after];
    for (let i = 1; i < all.length; i++) expect(all[i]! > all[i - 1]!).toBe(true);
    // A minute apart in real time, never less than half a minute apart in stamps.
    for (let i = 1; i < after.length; i++) {
      expect(after[i]! - after[i - 1]!).toBeGreaterThanOrEqual(30n * 1000n * NS);
    }
    // The hour after the step spans at least half an hour, not a few nanoseconds.
    expect(after[59]! - after[0]!).toBeGreaterThanOrEqual(29n * MINUTE_NS);
    // Caught up within twice the step: stamps are the wall clock's time again.
    c.elapsed = 240 * MINUTE;
    expect(ms(clock.stamp())).toBe(T0 + 240 * MINUTE - HOUR);
  });

  it('one absurd wall-clock reading moves nothing', () => {
    const c = clocks();
    const clock = new SampleClock(c);
    c.elapsed = MINUTE;
    c.next.push(Y2038);
    expect(ms(clock.stamp())).toBe(T0 + MINUTE);
    c.elapsed = DAY;
    expect(ms(clock.stamp())).toBe(T0 + DAY);
  });

  it('follows a confirmed jump forward (a suspend and resume)', () => {
    const c = clocks();
    const clock = new SampleClock(c);
    c.elapsed = MINUTE;
    clock.stamp();
    // Three days asleep: the monotonic clock stood still, the wall clock did not.
    c.offset = 3 * DAY;
    c.elapsed = 2 * MINUTE;
    const first = clock.stamp(); // one reading alone is not trusted yet
    expect(ms(first)).toBe(T0 + 2 * MINUTE);
    c.elapsed = 3 * MINUTE;
    expect(ms(clock.stamp())).toBe(T0 + 3 * DAY + 3 * MINUTE);
  });

  it('a clock injected alone is trusted as both wall and monotonic time', () => {
    let now = T0;
    const clock = new SampleClock({ wall: () => now });
    now += 3 * DAY;
    expect(ms(clock.stamp())).toBe(T0 + 3 * DAY);
  });
});

const MINUTE_NS = BigInt(MINUTE) * NS;

describe('SampleStore on the sample clock', () => {
  it('one reading in 2038 drops nothing and leaves the next day stamped in its own time', () => {
    const c = clocks();
    const store = new SampleStore({ now: c.wall, monotonic: c.monotonic });
    for (let i = 0; i < 50; i++) {
      c.elapsed = i * MINUTE;
      store.add(sync(i));
    }
    c.elapsed = 50 * MINUTE;
    c.next.push(Y2038);
    store.add(sync(50));
    expect(store.size).toBe(51);
    expect(store.stats.droppedByAge).toBe(0);
    c.elapsed = DAY;
    const nextDay = store.add(sync(51));
    expect(ms(nextDay.timestampNs)).toBe(T0 + DAY);
    expect(store.size).toBe(52);
    const stamps = store.samples().map((s) => s.timestampNs);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
    expect(stamps.every((s) => ms(s) < Y2038)).toBe(true);
  });

  it('after a step back, samples of one series keep distinct, increasing, spread-out stamps', () => {
    const c = clocks();
    const store = new SampleStore({ now: c.wall, monotonic: c.monotonic });
    for (let m = 0; m < 10; m++) {
      c.elapsed = m * MINUTE;
      store.add(sync(m));
    }
    c.offset = -HOUR;
    for (let m = 10; m < 70; m++) {
      c.elapsed = m * MINUTE;
      store.add(sync(m));
    }
    const stamps = store.samples().map((s) => s.timestampNs);
    for (let i = 1; i < stamps.length; i++) {
      expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(30n * 1000n * NS);
    }
  });

  it('ages samples out by the sample clock: a wall clock far ahead for one reading drops nothing', () => {
    const c = clocks();
    const store = new SampleStore({ now: c.wall, monotonic: c.monotonic, maxAgeMs: DAY });
    store.add(sync(1));
    c.elapsed = MINUTE;
    c.next.push(T0 + 30 * DAY);
    store.add(sync(2));
    expect(store.stats.droppedByAge).toBe(0);
    // Real time passing still ages them out.
    c.elapsed = DAY + 2 * MINUTE;
    store.add(sync(3));
    expect(store.stats.droppedByAge).toBe(2);
    expect(store.samples().map((s) => s.fields.duration_seconds)).toEqual([3]);
  });
});

describe('ClientMetrics without an injected clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stamps on performance.now anchored to Date.now, so setting the system clock back an hour spreads nothing thin', () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    const m = createClientMetrics({ version: '0.40.1', publicKey: '', env: {} });
    m.recordSync(0.1);
    vi.advanceTimersByTime(MINUTE);
    m.recordSync(0.2);
    vi.setSystemTime(Date.now() - HOUR); // Date steps back; performance.now does not
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(MINUTE);
      m.recordSync(0.3);
    }
    const stamps = m.store.samples().map((s) => s.timestampNs);
    expect(ms(stamps[1]!)).toBe(T0 + MINUTE);
    for (let i = 1; i < stamps.length; i++) {
      expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(30n * 1000n * NS);
    }
  });
});

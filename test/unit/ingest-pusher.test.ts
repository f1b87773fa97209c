import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  IngestPusher,
  type IngestPusherOptions,
  type PushAgent,
} from '../../src/exporters/push/ingest-pusher.js';
import {
  type PushOptions,
  type PushSettings,
  resolvePushSettings,
} from '../../src/exporters/push/push-settings.js';
import type { RemoteConfig } from '../../src/exporters/push/remote-config.js';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import { MAX_TIMER_MS } from '../../src/exporters/send/scheduler.js';
import type { Sample } from '../../src/protocol/schema.js';
import {
  type FakeHandler,
  type FakeTransport,
  fakeTransport,
  networkError,
  status,
} from '../helpers/fake-transport.js';

// The push loop under fake timers: every schedule, backoff, Retry-After, timeout and stop is
// checked against exact fake time. What needs real HTTP is in test/integration/push-loop.

const PEER = '0123456789abcdef';
const URL = 'http://ingest.test/push';
const T0 = 1_750_000_000_000;

let pusher: IngestPusher | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  const p = pusher;
  pusher = undefined;
  const stopped = p?.stop();
  await vi.runOnlyPendingTimersAsync();
  await stopped;
  vi.useRealTimers();
});

function sample(n: number): Sample {
  return {
    measurement: 'netbird_sync',
    tags: { deployment_type: 'cloud', version: '1.5.0', os: 'linux', arch: 'amd64', peer_id: PEER },
    fields: { duration_seconds: n },
  };
}

/** The `duration_seconds` values of a body: each sample is identified by its value. */
function values(body: string): number[] {
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(/duration_seconds=([^ ]+)/.exec(l)?.[1]));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function settings(options: PushOptions): PushSettings {
  const resolved = resolvePushSettings({}, options);
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return resolved.value;
}

interface Setup {
  store: SampleStore;
  agent: { version: string; peerId: string };
  pusher: IngestPusher;
  fake: FakeTransport;
  /** Fake milliseconds since the start of each request. */
  times: () => number[];
}

function setup(
  options: PushOptions & {
    handler?: FakeHandler;
    config?: RemoteConfig | undefined;
    samples?: number;
    agent?: Partial<PushAgent>;
    store?: SampleStore;
    remoteConfig?: IngestPusherOptions['remoteConfig'];
  } = {},
): Setup {
  const { handler, config, samples = 0, agent: agentInput, store: given, ...push } = options;
  const fake = fakeTransport(handler);
  const store = given ?? new SampleStore();
  for (const n of range(0, samples)) store.add(sample(n));
  const agent = { version: '1.5.0', peerId: PEER, ...agentInput };
  const remoteConfig =
    options.remoteConfig ?? ('config' in options ? { get: async () => config } : undefined);
  delete (push as { remoteConfig?: unknown }).remoteConfig;
  pusher = new IngestPusher({
    store,
    settings: settings({
      serverUrl: URL,
      intervalMs: 50,
      forceSending: remoteConfig === undefined,
      maxBackoffMs: 60_000,
      ...push,
    }),
    agent: () => agent,
    ...(remoteConfig ? { remoteConfig } : {}),
    random: () => 0,
    transport: fake.transport,
  });
  const p = pusher;
  return {
    store,
    agent,
    pusher: p,
    fake,
    times: () => fake.requests.map((r) => r.at - T0),
  };
}

/** Advances fake time by `ms`, running every timer and the promises they start. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('IngestPusher: schedule', () => {
  it('pushes once per interval with a config in range and a server override', async () => {
    const config: RemoteConfig = {
      serverUrl: 'https://unused.example',
      versionSince: '1.0.0',
      versionUntil: '2.0.0',
      periodMinutes: 1,
    };
    const store = new SampleStore();
    let cycles = 0;
    // The config is asked once per cycle: one new sample per cycle, so one request per cycle.
    const s = setup({
      store,
      remoteConfig: {
        get: async () => {
          store.add(sample(cycles++));
          return config;
        },
      },
      forceSending: false,
    });
    s.pusher.start();
    await advance(120);
    expect(s.times()).toEqual([0, 50, 100]);
    expect(s.fake.requests.every((r) => r.url === URL)).toBe(true);
  });

  it('makes the first attempt at once, then waits exactly one interval', async () => {
    const s = setup({ samples: 2, intervalMs: 60_000 });
    s.pusher.start();
    await advance(0);
    expect(s.times()).toEqual([0]);
    s.store.add(sample(2));
    await advance(59_999);
    expect(s.fake.requests).toHaveLength(1);
    await advance(1);
    expect(s.times()).toEqual([0, 60_000]);
  });

  it('sends no request for an empty store and records no failure', async () => {
    const s = setup({ samples: 0, intervalMs: 20 });
    s.pusher.start();
    await advance(100);
    expect(s.fake.requests).toHaveLength(0);
    expect(s.pusher.counters).toMatchObject({ requests: 0, failures: 0 });
  });

  it('sends the lines with X-Peer-ID and acknowledges them', async () => {
    const s = setup({ samples: 3 });
    const expected = s.store.exportLineProtocol();
    s.pusher.start();
    await advance(0);
    const [req] = s.fake.requests;
    expect(req?.body).toBe(expected);
    expect(req?.headers['X-Peer-ID']).toBe(PEER);
    expect(s.store.size).toBe(0);
    expect(s.pusher.counters).toMatchObject({ requests: 1, samplesSent: 3, failures: 0 });
  });

  it('sends nothing while the own peer id is unknown; the samples go out once it is', async () => {
    const s = setup({ samples: 2, agent: { peerId: '' } });
    s.pusher.start();
    await advance(100);
    expect(s.pusher.counters.cyclesSkipped).toBe(3);
    expect(s.fake.requests).toHaveLength(0);
    expect(s.store.size).toBe(2);
    s.agent.peerId = 'fedcba9876543210';
    await advance(50);
    const [req] = s.fake.requests;
    expect(req?.headers['X-Peer-ID']).toBe('fedcba9876543210');
    expect(values(req?.body ?? '')).toEqual([0, 1]);
  });

  it('waits for an interval longer than a timer can hold instead of firing at once', async () => {
    // 30 days: beyond setTimeout's 2^31-1 ms, which would otherwise fire after 1 ms.
    const s = setup({ samples: 1, intervalMs: 30 * 24 * 3_600_000 });
    s.pusher.start();
    await advance(0);
    s.store.add(sample(1));
    await advance(MAX_TIMER_MS - 1);
    expect(s.fake.requests).toHaveLength(1);
  });
});

describe('IngestPusher: batches', () => {
  it('acknowledges exactly the samples sent: samples recorded during the push stay', async () => {
    const s = setup({ samples: 3, handler: (_r, i) => (i === 0 ? 'hang' : status(204)) });
    s.pusher.start();
    await advance(0);
    s.store.add(sample(3));
    s.store.add(sample(4));
    s.fake.requests[0]?.answer(status(204));
    await advance(0);
    expect(s.fake.requests.map((r) => values(r.body))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(s.store.size).toBe(0);
  });

  it('sends a large store in bounded batches, one request after another, in one cycle', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const s = setup({
      samples: 12,
      maxBatchSamples: 5,
      intervalMs: 60_000,
      handler: (request) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          request.answer(status(204));
        }, 20);
        return 'hang';
      },
    });
    s.pusher.start();
    await advance(60);
    expect(s.fake.requests.map((r) => values(r.body))).toEqual([
      range(0, 5),
      range(5, 10),
      range(10, 12),
    ]);
    expect(s.times()).toEqual([0, 20, 40]);
    expect(maxInFlight).toBe(1);
    expect(s.store.size).toBe(0);
  });

  it('bounds a batch by bytes as well as by count', async () => {
    const s = setup({ samples: 6, maxBatchBytes: 300, intervalMs: 60_000 });
    const lineBytes = Buffer.byteLength(s.store.samples()[0]?.line ?? '') + 1;
    s.pusher.start();
    await advance(0);
    expect(s.store.size).toBe(0);
    for (const r of s.fake.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(300);
    expect(s.fake.requests.length).toBe(Math.ceil(6 / Math.floor(300 / lineBytes)));
    expect(s.fake.requests.flatMap((r) => values(r.body))).toEqual(range(0, 6));
  });

  it('ends a cycle after store size / batch size + 1 requests, even if samples keep coming', async () => {
    const store = new SampleStore({ maxSamples: 10 });
    const s = setup({
      store,
      samples: 1,
      maxBatchSamples: 5,
      intervalMs: 3_600_000,
      handler: (_r, i) => {
        store.add(sample(100 + i)); // always something left to send
        return status(204);
      },
    });
    s.pusher.start();
    await advance(3_599_999);
    expect(s.fake.requests).toHaveLength(Math.ceil(10 / 5) + 1);
    expect(s.store.size).toBe(1);
  });
});

describe('IngestPusher: answers', () => {
  it.each([400, 405, 413, 422])(
    '%d drops that batch (counted), ends the cycle, and the next cycle sends the rest',
    async (code) => {
      const s = setup({
        samples: 6,
        maxBatchSamples: 3,
        intervalMs: 20,
        handler: (_r, i) => status(i === 0 ? code : 204, 'bad'),
      });
      s.pusher.start();
      await advance(20);
      expect(s.store.size).toBe(0);
      expect(s.pusher.counters).toMatchObject({
        samplesDroppedByServer: 3,
        samplesSent: 3,
        failures: 1,
        retries: 0,
        lastStatus: 204,
      });
      expect(s.pusher.counters.lastError).toBe(`HTTP ${code}: bad`);
      expect(values(s.fake.requests[1]?.body ?? '')).toEqual([3, 4, 5]);
      expect(s.store.stats.discarded).toBe(3);
      // The refusal ended the cycle: the rest went out exactly one interval later.
      expect(s.times()).toEqual([0, 20]);
    },
  );

  const failures: Array<[string, FakeHandler]> = [
    ...[401, 403, 404, 408, 429, 500, 503].map((code): [string, FakeHandler] => [
      String(code),
      () => status(code),
    ]),
    ['a dropped connection', () => networkError()],
    ['a server that never answers', () => 'hang'],
  ];

  it.each(failures)(
    '%s keeps the samples; after recovery each arrives exactly once',
    async (_name, failing) => {
      const s = setup({ samples: 4, maxBatchSamples: 2, requestTimeoutMs: 100, intervalMs: 20 });
      let failingLeft = 2;
      const accepted: number[] = [];
      s.fake.handle((request, i) => {
        if (failingLeft > 0) {
          failingLeft--;
          return failing(request, i);
        }
        accepted.push(...values(request.body));
        return status(204);
      });
      s.pusher.start();
      await advance(1000);
      expect(s.store.size).toBe(0);
      // Recorded after the failures, sent with the next cycle.
      s.store.add(sample(4));
      await advance(1000);
      expect(s.store.size).toBe(0);
      expect(accepted).toEqual(range(0, 5));
      expect(s.pusher.counters).toMatchObject({
        retries: 2,
        failures: 2,
        samplesDroppedByServer: 0,
        samplesSent: 5,
      });
    },
  );

  it('times a silent server out after exactly requestTimeoutMs', async () => {
    const s = setup({
      samples: 1,
      requestTimeoutMs: 100,
      intervalMs: 60_000,
      handler: () => 'hang',
    });
    s.pusher.start();
    await advance(99);
    expect(s.pusher.counters.failures).toBe(0);
    expect(s.fake.requests[0]?.signal?.aborted).toBe(false);
    await advance(1);
    expect(s.fake.requests[0]?.signal?.aborted).toBe(true);
    expect(s.pusher.counters).toMatchObject({ failures: 1, lastError: 'request timed out' });
    expect(s.store.size).toBe(1);
  });

  it('honours Retry-After: no request before it has passed, though the interval is 50 ms', async () => {
    const s = setup({
      samples: 1,
      handler: (_r, i) => (i === 0 ? status(429, '', '1') : status(204)),
    });
    s.pusher.start();
    await advance(999);
    expect(s.times()).toEqual([0]);
    await advance(1);
    expect(s.times()).toEqual([0, 1000]);
    expect(s.store.size).toBe(0);
  });

  it('backs off exponentially after consecutive failures, from the interval upwards', async () => {
    const s = setup({ samples: 1, intervalMs: 20, handler: () => status(503) });
    s.pusher.start();
    await advance(300);
    // random() = 0: 20, 40, 80, 160 ms apart.
    expect(s.times()).toEqual([0, 20, 60, 140, 300]);
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const s = setup({ samples: 1, intervalMs: 10, maxBackoffMs: 50, handler: () => status(500) });
    s.pusher.start();
    await advance(220);
    // 10, 20, 40, then the cap: 50, 50.
    expect(s.times()).toEqual([0, 10, 30, 70, 120, 170, 220]);
  });

  it('returns to the interval after a success', async () => {
    let fail = 3;
    const s = setup({ samples: 1, intervalMs: 30 });
    s.fake.handle(() => status(fail-- > 0 ? 500 : 204));
    s.pusher.start();
    // Failures at 0, 30, 90 (30, 60 apart), the success 120 later.
    await advance(210);
    expect(s.times()).toEqual([0, 30, 90, 210]);
    for (const n of [1, 2]) {
      s.store.add(sample(n));
      await advance(30);
    }
    // Then the interval again, not 240 ms.
    expect(s.times()).toEqual([0, 30, 90, 210, 240, 270]);
  });
});

describe('IngestPusher: lifecycle', () => {
  it('stop aborts a request in flight and waits for the loop to exit', async () => {
    const s = setup({ samples: 1, requestTimeoutMs: 10_000, handler: () => 'hang' });
    s.pusher.start();
    await advance(0);
    let stopped = false;
    const stop = s.pusher.stop().then(() => {
      stopped = true;
    });
    await advance(0);
    expect(stopped).toBe(true);
    await stop;
    expect(s.fake.requests[0]?.signal?.aborted).toBe(true);
    expect(s.pusher.running).toBe(false);
    expect(s.store.size).toBe(1);
    expect(s.pusher.counters.failures).toBe(0);
    await advance(60_000);
    expect(s.fake.requests).toHaveLength(1);
  });

  it('runs once: a second start throws (restart means a new pusher)', () => {
    const s = setup({ samples: 0 });
    s.pusher.start();
    expect(() => s.pusher.start()).toThrow(/runs once/);
  });

  it('flush pushes now without waiting for the interval', async () => {
    const s = setup({ samples: 1, intervalMs: 60_000 });
    s.pusher.start();
    await advance(0);
    s.store.add(sample(1));
    await advance(10);
    expect(await s.pusher.flush()).toEqual({ delivered: true });
    expect(s.times()).toEqual([0, 10]);
    expect(values(s.fake.requests[1]?.body ?? '')).toEqual([1]);
  });

  it('flush skips the backoff but respects a pending Retry-After', async () => {
    const s = setup({ samples: 1, intervalMs: 60_000, handler: () => status(503, '', '60') });
    s.pusher.start();
    await advance(0);
    expect(s.pusher.counters.retries).toBe(1);
    const result = await s.pusher.flush();
    expect(result).toMatchObject({ delivered: false });
    expect(s.fake.requests).toHaveLength(1);
    await advance(60_000);
    expect(s.times()).toEqual([0, 60_000]);
  });

  it('flush resolves at its deadline when the server never answers, keeping the samples', async () => {
    const s = setup({ samples: 1, intervalMs: 60_000, requestTimeoutMs: 10_000 });
    s.pusher.start();
    await advance(0);
    s.store.add(sample(1));
    s.fake.handle(() => 'hang');
    let result: unknown;
    const flushed = s.pusher.flush(200).then((r) => {
      result = r;
    });
    await advance(199);
    expect(result).toBeUndefined();
    await advance(1);
    await flushed;
    expect(result).toEqual({ delivered: false, reason: 'deadline of 200 ms passed' });
    expect(s.fake.requests[1]?.signal?.aborted).toBe(true);
    expect(s.store.size).toBe(1);
    expect(s.pusher.counters.failures).toBe(0);
  });

  it('flush resolves at its deadline while a cycle hangs in front of it', async () => {
    const s = setup({
      samples: 1,
      intervalMs: 60_000,
      requestTimeoutMs: 10_000,
      handler: () => 'hang',
    });
    s.pusher.start();
    await advance(0);
    const flushed = s.pusher.flush(300);
    await advance(300);
    expect(await flushed).toEqual({ delivered: false, reason: 'deadline of 300 ms passed' });
    // The cycle's request goes on until its own timeout; the flush, past its deadline by
    // then, never starts one.
    await advance(10_000);
    expect(s.fake.requests).toHaveLength(1);
    expect(s.pusher.counters).toMatchObject({ failures: 1, lastError: 'request timed out' });
  });

  it('skips cycles without a config and keeps the samples', async () => {
    const s = setup({ samples: 1, config: undefined, noConfigRetryMs: 30 });
    s.pusher.start();
    await advance(60);
    expect(s.pusher.counters.cyclesSkipped).toBe(3);
    expect(s.pusher.lastTarget).toEqual({ intervalMs: 30, skipped: 'no config' });
    expect(s.fake.requests).toHaveLength(0);
    expect(s.store.size).toBe(1);
    expect(await s.pusher.flush()).toEqual({ delivered: false, reason: 'no config' });
  });

  it('pushes to the config server_url when the version is in range', async () => {
    const url = 'http://ingest.test/from-config';
    const s = setup({
      samples: 1,
      serverUrl: undefined,
      intervalMs: undefined,
      agent: { version: 'v1.5.0' },
      config: { serverUrl: url, versionSince: '1.0', versionUntil: '2', periodMinutes: 1 },
    });
    s.pusher.start();
    await advance(0);
    expect(s.fake.requests[0]?.url).toBe(url);
    expect(s.pusher.lastTarget).toEqual({ url, intervalMs: 60_000 });
  });
});

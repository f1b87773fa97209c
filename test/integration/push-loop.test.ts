import { afterEach, describe, expect, it } from 'vitest';
import { unwrap } from '../../src/config/config-error.js';
import { IngestPusher, type PushAgent } from '../../src/exporters/push/ingest-pusher.js';
import { type PushOptions, resolvePushSettings } from '../../src/exporters/push/push-settings.js';
import type { RemoteConfig, RemoteConfigSource } from '../../src/exporters/push/remote-config.js';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import type { Sample } from '../../src/protocol/schema.js';
import {
  type Handler,
  type RecordingServer,
  reply,
  startRecordingServer,
} from '../helpers/recording-server.js';

const PEER = '0123456789abcdef';

let server: RecordingServer | undefined;
let pusher: IngestPusher | undefined;
afterEach(async () => {
  await pusher?.stop();
  pusher = undefined;
  await server?.close();
  server = undefined;
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

interface Setup {
  store: SampleStore;
  agent: { version: string; peerId: string };
  pusher: IngestPusher;
  server: RecordingServer;
}

async function setup(
  options: PushOptions & {
    handler?: Handler;
    config?: RemoteConfig | undefined;
    path?: string;
    samples?: number;
    agent?: Partial<PushAgent>;
    store?: SampleStore;
  } = {},
): Promise<Setup> {
  const {
    handler,
    config,
    path = '/push',
    samples = 0,
    agent: agentInput,
    store: given,
    ...push
  } = options;
  server = await startRecordingServer(handler);
  const store = given ?? new SampleStore();
  for (const n of range(0, samples)) store.add(sample(n));
  const agent = { version: '1.5.0', peerId: PEER, ...agentInput };
  const remoteConfig: RemoteConfigSource | undefined =
    'config' in options ? { get: async () => config } : undefined;
  const settings = unwrap(
    resolvePushSettings(
      {},
      {
        serverUrl: `${server.url}${path}`,
        intervalMs: 50,
        forceSending: remoteConfig === undefined,
        maxBackoffMs: 60_000,
        ...push,
      },
    ),
  );
  pusher = new IngestPusher({
    store,
    settings,
    agent: () => agent,
    ...(remoteConfig ? { remoteConfig } : {}),
    random: () => 0,
  });
  return { store, agent, pusher, server };
}

/** Values the server accepted (answered 2xx), in arrival order. */
function accepted(s: RecordingServer, statuses: Map<number, number>): number[] {
  return s.requests.flatMap((r, i) => {
    const status = statuses.get(i) ?? 204;
    return status >= 200 && status < 300 ? values(r.text) : [];
  });
}

describe('IngestPusher: cycles and requests (reference §3.3, §3.4, §6.2)', () => {
  it('#1 interval 50 ms + server override + in-range config → at least 3 POSTs within 2 s, never faster than the interval', async () => {
    const config: RemoteConfig = {
      serverUrl: 'https://unused.example',
      versionSince: '1.0.0',
      versionUntil: '2.0.0',
      periodMinutes: 1,
    };
    const store = new SampleStore();
    // The config is asked once per cycle: one new sample per cycle, so one request per cycle.
    let cycles = 0;
    const s = await setup({ store, config });
    const p = new IngestPusher({
      store,
      settings: unwrap(
        resolvePushSettings({}, { serverUrl: `${s.server.url}/push`, intervalMs: 50 }),
      ),
      agent: () => s.agent,
      remoteConfig: {
        get: async () => {
          store.add(sample(cycles++));
          return config;
        },
      },
    });
    pusher = p;
    p.start();
    const requests = await s.server.waitForRequests(3, 2000);
    for (let i = 1; i < requests.length; i++) {
      const gap = (requests[i]?.at ?? 0) - (requests[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(45);
    }
  });

  it('makes the first attempt at once, then waits for the interval', async () => {
    const s = await setup({ samples: 2, intervalMs: 60_000 });
    const started = performance.now();
    s.pusher.start();
    const [first] = await s.server.waitForRequests(1, 2000);
    expect((first?.at ?? 0) - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(1);
  });

  it('#7 an empty store sends no request and records no failure', async () => {
    const s = await setup({ samples: 0, intervalMs: 20 });
    s.pusher.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(0);
    expect(s.pusher.counters).toMatchObject({ requests: 0, failures: 0 });
  });

  it('POSTs the gzip-compressed lines to the URL exactly as given, with the reference headers', async () => {
    const s = await setup({ samples: 3, path: '/ingest/v1?tenant=a' });
    const expected = s.store.exportLineProtocol();
    s.pusher.start();
    const [req] = await s.server.waitForRequests(1);
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/ingest/v1?tenant=a');
    expect(req?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['x-peer-id']).toBe(PEER);
    expect(req?.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(req?.text).toBe(expected);
    await expect.poll(() => s.store.size).toBe(0);
    expect(s.pusher.counters).toMatchObject({ requests: 1, samplesSent: 3, failures: 0 });
  });

  it('sends nothing while the own peer id is unknown; the samples wait and go out once it is', async () => {
    const s = await setup({ samples: 2, agent: { peerId: '' } });
    s.pusher.start();
    await expect.poll(() => s.pusher.counters.cyclesSkipped).toBeGreaterThanOrEqual(2);
    expect(s.server.requests).toHaveLength(0);
    expect(s.store.size).toBe(2);
    s.agent.peerId = 'fedcba9876543210';
    const [req] = await s.server.waitForRequests(1);
    expect(req?.headers['x-peer-id']).toBe('fedcba9876543210');
    expect(values(req?.text ?? '')).toEqual([0, 1]);
  });

  it('acknowledges exactly the samples sent: samples recorded during the push stay for the next', async () => {
    let release: () => void = () => {};
    const s = await setup({
      samples: 3,
      handler: (_req, res, i) => {
        if (i === 0) release = () => res.writeHead(204).end();
        else res.writeHead(204).end();
      },
    });
    s.pusher.start();
    await s.server.waitForRequests(1);
    s.store.add(sample(3));
    s.store.add(sample(4));
    release();
    const requests = await s.server.waitForRequests(2);
    expect(values(requests[0]?.text ?? '')).toEqual([0, 1, 2]);
    expect(values(requests[1]?.text ?? '')).toEqual([3, 4]);
    await expect.poll(() => s.store.size).toBe(0);
  });

  it('sends a large store in bounded batches, one request after another, within one cycle', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const s = await setup({
      samples: 12,
      maxBatchSamples: 5,
      intervalMs: 60_000,
      handler: (_req, res) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          res.writeHead(204).end();
        }, 20);
      },
    });
    s.pusher.start();
    const requests = await s.server.waitForRequests(3);
    expect(requests.map((r) => values(r.text))).toEqual([range(0, 5), range(5, 10), range(10, 12)]);
    expect(maxInFlight).toBe(1);
    await expect.poll(() => s.store.size).toBe(0);
  });

  it('bounds a batch by bytes as well as by count', async () => {
    const s = await setup({ samples: 6, maxBatchBytes: 300, intervalMs: 60_000 });
    const lineBytes = Buffer.byteLength(s.store.samples()[0]?.line ?? '') + 1;
    s.pusher.start();
    await expect.poll(() => s.store.size).toBe(0);
    for (const r of s.server.requests) expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(300);
    expect(s.server.requests.length).toBe(Math.ceil(6 / Math.floor(300 / lineBytes)));
    expect(s.server.requests.flatMap((r) => values(r.text))).toEqual(range(0, 6));
  });
});

describe('IngestPusher: answers (DESIGN decision 4)', () => {
  it.each([400, 405, 413, 422])(
    '%d drops that batch (counted), ends the cycle, and the next cycle sends the rest',
    async (status) => {
      const statuses = new Map<number, number>([[0, status]]);
      const s = await setup({
        samples: 6,
        maxBatchSamples: 3,
        intervalMs: 20,
        handler: (_req, res, i) => void res.writeHead(statuses.get(i) ?? 204).end('bad'),
      });
      s.pusher.start();
      await expect.poll(() => s.store.size).toBe(0);
      expect(s.pusher.counters).toMatchObject({
        samplesDroppedByServer: 3,
        samplesSent: 3,
        failures: 1,
        retries: 0,
        lastStatus: 204,
      });
      expect(s.pusher.counters.lastError).toBe(`HTTP ${status}: bad`);
      expect(accepted(s.server, statuses)).toEqual([3, 4, 5]);
      expect(s.store.stats.discarded).toBe(3);
      // The refusal ended the cycle: the rest went out one interval (20 ms) later.
      const [first, second] = s.server.requests;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(18);
    },
  );

  const failures: Array<[string, Handler]> = [
    ['401', reply(401)],
    ['403', reply(403)],
    ['404', reply(404)],
    ['408', reply(408)],
    ['429', reply(429)],
    ['500', reply(500)],
    ['503', reply(503)],
    ['a dropped connection', (_req, res) => void res.socket?.destroy()],
    ['a server that never answers', () => {}],
  ];

  it.each(failures)(
    '%s keeps the samples; after recovery each arrives exactly once',
    async (_name, failing) => {
      const statuses = new Map<number, number>();
      const s = await setup({
        samples: 4,
        maxBatchSamples: 2,
        requestTimeoutMs: 100,
        intervalMs: 20,
      });
      let failingLeft = 2;
      s.server.handle((req, res, i) => {
        if (failingLeft > 0) {
          failingLeft--;
          statuses.set(i, 0);
          return failing(req, res, i);
        }
        res.writeHead(204).end();
      });
      s.pusher.start();
      await expect.poll(() => s.store.size, { timeout: 5000 }).toBe(0);
      // Recorded while failing, sent after recovery.
      s.store.add(sample(4));
      await expect.poll(() => s.store.size, { timeout: 5000 }).toBe(0);
      expect(accepted(s.server, statuses).sort((a, b) => a - b)).toEqual(range(0, 5));
      expect(s.pusher.counters).toMatchObject({
        retries: 2,
        failures: 2,
        samplesDroppedByServer: 0,
      });
      expect(s.pusher.counters.samplesSent).toBe(5);
    },
  );

  it('honours Retry-After: no request before it has passed, though the interval is 50 ms', async () => {
    const s = await setup({
      samples: 1,
      handler: (_req, res, i) =>
        void (i === 0
          ? res.writeHead(429, { 'Retry-After': '1' }).end()
          : res.writeHead(204).end()),
    });
    s.pusher.start();
    const [first, second] = await s.server.waitForRequests(2, 5000);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    await expect.poll(() => s.store.size).toBe(0);
  });

  it('backs off exponentially after consecutive failures, from the interval upwards', async () => {
    const s = await setup({ samples: 1, intervalMs: 20, handler: reply(503) });
    s.pusher.start();
    const requests = await s.server.waitForRequests(5, 5000);
    const gaps = requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0));
    // random() = 0: 20, 40, 80, 160 ms (timers never fire early)
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 2);
    });
  });

  it('caps the backoff at maxBackoffMs', async () => {
    const s = await setup({ samples: 1, intervalMs: 10, maxBackoffMs: 50, handler: reply(500) });
    s.pusher.start();
    await new Promise((r) => setTimeout(r, 800));
    // Uncapped, 800 ms hold 7 attempts (10, 20, ... 320 ms apart); capped at 50 ms, about 18.
    expect(s.server.requests.length).toBeGreaterThan(10);
  });

  it('returns to the interval after a success', async () => {
    const s = await setup({ samples: 1, intervalMs: 30 });
    let fail = 3;
    s.server.handle((_req, res) => {
      s.store.add(sample(9));
      res.writeHead(fail-- > 0 ? 500 : 204).end();
    });
    s.pusher.start();
    const requests = await s.server.waitForRequests(7, 5000);
    // After the first success (request 3) the gaps are the interval again, not 240 ms.
    const gap = (requests[5]?.at ?? 0) - (requests[4]?.at ?? 0);
    expect(gap).toBeLessThan(200);
  });
});

describe('IngestPusher: bounds', () => {
  it('quotes at most 512 bytes of an error answer', async () => {
    const s = await setup({ samples: 1, handler: reply(400, 'x'.repeat(100_000)) });
    s.pusher.start();
    await expect.poll(() => s.pusher.counters.failures).toBe(1);
    expect(s.pusher.counters.lastError).toBe(`HTTP 400: ${'x'.repeat(512)}`);
  });

  it('ends a cycle after store size / batch size + 1 requests, even if samples keep coming', async () => {
    const s = await setup({
      store: new SampleStore({ maxSamples: 10 }),
      samples: 1,
      maxBatchSamples: 5,
      intervalMs: 3_600_000,
    });
    s.server.handle((_req, res, i) => {
      s.store.add(sample(100 + i)); // always something left to send
      res.writeHead(204).end();
    });
    s.pusher.start();
    await s.server.waitForRequests(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(Math.ceil(10 / 5) + 1);
    expect(s.store.size).toBe(1);
  });

  it('waits for an interval longer than a timer can hold instead of firing at once', async () => {
    // 30 days: beyond setTimeout's 2^31-1 ms, which would otherwise fire after 1 ms.
    const s = await setup({ samples: 1, intervalMs: 30 * 24 * 3_600_000 });
    s.pusher.start();
    await s.server.waitForRequests(1);
    await expect.poll(() => s.store.size).toBe(0);
    s.store.add(sample(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(1);
  });
});

describe('IngestPusher: lifecycle', () => {
  it('stop aborts a request in flight and waits for the loop to exit', async () => {
    const s = await setup({ samples: 1, requestTimeoutMs: 10_000, handler: () => {} });
    s.pusher.start();
    await s.server.waitForRequests(1);
    const started = performance.now();
    await s.pusher.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(s.pusher.running).toBe(false);
    expect(s.store.size).toBe(1);
    expect(s.pusher.counters.failures).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(1);
  });

  it('runs once: a second start throws (restart means a new pusher)', async () => {
    const s = await setup({ samples: 0 });
    s.pusher.start();
    expect(() => s.pusher.start()).toThrow(/runs once/);
  });

  it('does not keep the process alive while waiting for the next cycle', async () => {
    const s = await setup({ samples: 0, intervalMs: 60_000 });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    s.pusher.start();
    await expect
      .poll(() => s.pusher.counters.cyclesSkipped + s.pusher.counters.requests >= 0)
      .toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(timers()).toBe(before);
  });

  it('flush pushes now without waiting for the interval', async () => {
    const s = await setup({ samples: 1, intervalMs: 60_000 });
    s.pusher.start();
    await s.server.waitForRequests(1);
    s.store.add(sample(1));
    await s.pusher.flush();
    expect(s.server.requests).toHaveLength(2);
    expect(values(s.server.requests[1]?.text ?? '')).toEqual([1]);
  });

  it('flush respects a pending Retry-After', async () => {
    const s = await setup({
      samples: 1,
      intervalMs: 60_000,
      handler: reply(503, '', { 'Retry-After': '60' }),
    });
    s.pusher.start();
    await s.server.waitForRequests(1);
    await expect.poll(() => s.pusher.counters.retries).toBe(1);
    await s.pusher.flush();
    expect(s.server.requests).toHaveLength(1);
  });

  it('skips cycles without a config, out of range, and keeps the samples', async () => {
    const s = await setup({ samples: 1, config: undefined, noConfigRetryMs: 30 });
    s.pusher.start();
    await expect.poll(() => s.pusher.counters.cyclesSkipped).toBeGreaterThanOrEqual(2);
    expect(s.pusher.lastTarget).toEqual({ intervalMs: 30, skipped: 'no config' });
    expect(s.server.requests).toHaveLength(0);
    expect(s.store.size).toBe(1);
  });

  it('pushes to the config server_url when the version is in range', async () => {
    server = await startRecordingServer();
    const url = `${server.url}/from-config`;
    const store = new SampleStore();
    store.add(sample(7));
    pusher = new IngestPusher({
      store,
      settings: unwrap(resolvePushSettings({}, {})),
      agent: () => ({ version: 'v1.5.0', peerId: PEER }),
      remoteConfig: {
        get: async () => ({
          serverUrl: url,
          versionSince: '1.0',
          versionUntil: '2',
          periodMinutes: 1,
        }),
      },
    });
    pusher.start();
    const [req] = await server.waitForRequests(1);
    expect(req?.url).toBe('/from-config');
    expect(pusher.lastTarget).toEqual({ url, intervalMs: 60_000 });
  });
});

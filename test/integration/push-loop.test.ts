import { afterEach, describe, expect, it } from 'vitest';
import { IngestPusher, type PushAgent } from '../../src/exporters/push/ingest-pusher.js';
import {
  type PushOptions,
  type PushSettings,
  resolvePushSettings,
} from '../../src/exporters/push/push-settings.js';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import type { Sample } from '../../src/protocol/schema.js';
import {
  type Handler,
  type RecordingServer,
  reply,
  startRecordingServer,
} from '../helpers/recording-server.js';

// The push loop over real HTTP: the request as it goes on the wire, real socket drops and
// silences, error bodies read from a socket. Its schedule, backoff, Retry-After arithmetic,
// batching and stop are checked under fake timers in test/unit/ingest-pusher.test.ts.

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

function settings(options: PushOptions): PushSettings {
  const resolved = resolvePushSettings({}, options);
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return resolved.value;
}

interface Setup {
  store: SampleStore;
  pusher: IngestPusher;
  server: RecordingServer;
}

async function setup(
  options: PushOptions & { handler?: Handler; path?: string; samples?: number } = {},
): Promise<Setup> {
  const { handler, path = '/push', samples = 0, ...push } = options;
  server = await startRecordingServer(handler);
  const store = new SampleStore();
  for (let n = 0; n < samples; n++) store.add(sample(n));
  const agent: PushAgent = { version: '1.5.0', peerId: PEER };
  pusher = new IngestPusher({
    store,
    settings: settings({
      serverUrl: `${server.url}${path}`,
      intervalMs: 50,
      forceSending: true,
      maxBackoffMs: 60_000,
      ...push,
    }),
    agent: () => agent,
    random: () => 0,
  });
  return { store, pusher, server };
}

describe('IngestPusher over HTTP', () => {
  it('POSTs the gzip-compressed lines to the URL exactly as given, with the headers the ingest expects', async () => {
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

  const failures: Array<[string, Handler, string]> = [
    ['a dropped connection', (_req, res) => void res.socket?.destroy(), 'fetch failed'],
    ['a server that never answers', () => {}, 'request timed out'],
  ];

  it.each(failures)(
    '%s keeps the samples; after recovery each arrives exactly once',
    async (_name, failing, error) => {
      // Long enough that a loaded machine does not turn a slow success into a timeout.
      const s = await setup({
        samples: 4,
        maxBatchSamples: 2,
        requestTimeoutMs: 1000,
        intervalMs: 20,
      });
      const failed = new Set<number>();
      let failingLeft = 2;
      s.server.handle((req, res, i) => {
        if (failingLeft > 0) {
          failingLeft--;
          failed.add(i);
          return failing(req, res, i);
        }
        res.writeHead(204).end();
      });
      s.pusher.start();
      await expect.poll(() => s.store.size, { timeout: 5000 }).toBe(0);
      // Recorded after the failures, sent after recovery.
      s.store.add(sample(4));
      await expect.poll(() => s.store.size, { timeout: 5000 }).toBe(0);
      const accepted = s.server.requests.flatMap((r, i) => (failed.has(i) ? [] : values(r.text)));
      expect(accepted.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
      expect(s.pusher.counters).toMatchObject({
        retries: 2,
        failures: 2,
        samplesDroppedByServer: 0,
        samplesSent: 5,
      });
      expect(s.pusher.counters.lastError).toContain(error);
    },
  );

  it('quotes at most 512 bytes of an error answer', async () => {
    const s = await setup({ samples: 1, handler: reply(400, 'x'.repeat(100_000)) });
    s.pusher.start();
    await expect.poll(() => s.pusher.counters.failures).toBe(1);
    expect(s.pusher.counters.lastError).toBe(`HTTP 400: ${'x'.repeat(512)}`);
    expect(s.store.stats.discarded).toBe(1);
  });

  it('reads Retry-After from the answer: a flush then sends nothing', async () => {
    const s = await setup({
      samples: 1,
      intervalMs: 60_000,
      handler: reply(503, '', { 'Retry-After': '60' }),
    });
    s.pusher.start();
    await s.server.waitForRequests(1);
    await expect.poll(() => s.pusher.counters.retries).toBe(1);
    expect(await s.pusher.flush()).toMatchObject({ delivered: false });
    expect(s.server.requests).toHaveLength(1);
    expect(s.store.size).toBe(1);
  });

  it('stop aborts a real request in flight; the samples stay and nothing more is sent', async () => {
    const s = await setup({ samples: 1, requestTimeoutMs: 60_000, handler: () => {} });
    s.pusher.start();
    await s.server.waitForRequests(1);
    await s.pusher.stop();
    expect(s.pusher.running).toBe(false);
    expect(s.store.size).toBe(1);
    expect(s.pusher.counters.failures).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.server.requests).toHaveLength(1);
  });

  it('does not keep the process alive while waiting for the next cycle', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const s = await setup({ samples: 1, intervalMs: 60_000 });
    const before = timers();
    s.pusher.start();
    // The first cycle has sent and acknowledged: the next one is armed.
    await expect.poll(() => s.store.size).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.pusher.counters.requests).toBe(1);
    expect(timers()).toBe(before);
  });

  it('pushes to the config server_url when the version is in range', async () => {
    server = await startRecordingServer();
    const url = `${server.url}/from-config`;
    const store = new SampleStore();
    store.add(sample(7));
    pusher = new IngestPusher({
      store,
      settings: settings({}),
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

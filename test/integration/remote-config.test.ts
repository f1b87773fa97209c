import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_CONFIG_BODY_BYTES,
  RemoteConfigManager,
} from '../../src/exporters/push/remote-config.js';
import { systemScheduler } from '../../src/exporters/send/scheduler.js';
import { type RecordingServer, reply, startRecordingServer } from '../helpers/recording-server.js';

const GOOD = {
  server_url: 'https://ingest.example.com/push',
  'version-since': '0.50.0',
  'version-until': '1.0.0',
  period_minutes: 60,
};

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(body: unknown, status = 200) {
  server = await startRecordingServer(
    reply(status, typeof body === 'string' ? body : JSON.stringify(body), {
      'Content-Type': 'application/json',
    }),
  );
  return server;
}

/** A manager with a hand-driven clock and the tests' 100 ms window, as NetBird's Go tests use. */
function manager(url: string, options: { timeoutMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const m = new RemoteConfigManager({
    url: `${url}/config`,
    refreshMs: 100,
    scheduler: { ...systemScheduler, now: () => clock.now },
    ...options,
  });
  return { m, clock };
}

describe('RemoteConfigManager', () => {
  it('#1 parses a valid config: URL, versions, 60 minutes', async () => {
    const s = await serve(GOOD);
    const { m } = manager(s.url);
    expect(await m.get()).toEqual({
      serverUrl: 'https://ingest.example.com/push',
      versionSince: '0.50.0',
      versionUntil: '1.0.0',
      periodMinutes: 60,
    });
    expect(s.requests[0]?.method).toBe('GET');
    expect(s.requests[0]?.url).toBe('/config');
  });

  it('#2 a second call within the refresh window makes no request and returns the same object', async () => {
    const s = await serve(GOOD);
    const { m, clock } = manager(s.url);
    const first = await m.get();
    clock.now += 99;
    expect(await m.get()).toBe(first);
    expect(s.requests).toHaveLength(1);
  });

  it('#3 after the window it asks again', async () => {
    const s = await serve(GOOD);
    const { m, clock } = manager(s.url);
    await m.get();
    clock.now += 100;
    await m.get();
    expect(s.requests).toHaveLength(2);
  });

  it('#4 a 500 with nothing cached gives no config, and every call asks again', async () => {
    const s = await serve('oops', 500);
    const { m } = manager(s.url);
    expect(await m.get()).toBeUndefined();
    expect(await m.get()).toBeUndefined();
    expect(s.requests).toHaveLength(2);
    expect(m.stats).toMatchObject({ fetches: 2, failures: 2, lastError: 'HTTP 500' });
  });

  it('#5 success then (after the window) 500 → the cached config unchanged, retried once per window', async () => {
    const s = await serve(GOOD);
    const { m, clock } = manager(s.url);
    const first = await m.get();
    s.handle(reply(500));
    clock.now += 100;
    expect(await m.get()).toBe(first);
    expect(s.requests).toHaveLength(2);
    // The failed attempt restarted the window: no new request until it passes again.
    clock.now += 50;
    expect(await m.get()).toBe(first);
    expect(s.requests).toHaveLength(2);
    clock.now += 50;
    expect(await m.get()).toBe(first);
    expect(s.requests).toHaveLength(3);
  });

  it.each([0, -5])('#6 period_minutes %d → no config', async (minutes) => {
    const s = await serve({ ...GOOD, period_minutes: minutes });
    expect(await manager(s.url).m.get()).toBeUndefined();
  });

  it('#7 an empty server_url → no config', async () => {
    const s = await serve({ ...GOOD, server_url: '' });
    expect(await manager(s.url).m.get()).toBeUndefined();
  });

  it('#8 a body that is not JSON → no config', async () => {
    const s = await serve('<html>not json</html>');
    expect(await manager(s.url).m.get()).toBeUndefined();
  });

  it('accepts a body of exactly 4096 bytes and refuses 4097', async () => {
    const padded = (size: number) => {
      const base = JSON.stringify({ ...GOOD, pad: '' });
      return JSON.stringify({ ...GOOD, pad: 'x'.repeat(size - base.length) });
    };
    expect(MAX_CONFIG_BODY_BYTES).toBe(4096);
    const s = await serve(padded(4096));
    expect(Buffer.byteLength(padded(4096))).toBe(4096);
    expect(await manager(s.url).m.get()).toBeDefined();
    s.handle(reply(200, padded(4097)));
    const { m } = manager(s.url);
    expect(await m.get()).toBeUndefined();
    expect(m.stats.lastError).toBe('body longer than 4096 bytes');
  });

  it('stops reading an endless body at the cap instead of reading on', async () => {
    let written = 0;
    let closed = false;
    server = await startRecordingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1024, 0x20);
      const timer = setInterval(() => {
        if (res.destroyed || written > 50 * 1024 * 1024) return clearInterval(timer);
        res.write(chunk);
        written += chunk.length;
      }, 1);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const { m } = manager(server.url);
    expect(await m.get()).toBeUndefined();
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
    expect(written).toBeLessThan(1024 * 1024);
  });

  it('gives up when its timeout fires while the server never answers', async () => {
    server = await startRecordingServer(() => {});
    // The timeout timer is captured and fired by hand once the request is in, so the test
    // shows what the timeout does without depending on how fast the machine is.
    const timers: Array<{ delayMs: number; fire: () => void }> = [];
    const m = new RemoteConfigManager({
      url: `${server.url}/config`,
      timeoutMs: 150,
      scheduler: {
        ...systemScheduler,
        setTimeout: (fire, delayMs) => {
          timers.push({ delayMs, fire });
          return systemScheduler.setTimeout(() => {}, 2 ** 31 - 1);
        },
      },
    });
    const answer = m.get();
    const recording = server;
    await expect.poll(() => recording.requests.length).toBe(1);
    expect(timers.map((t) => t.delayMs)).toEqual([150]);
    timers[0]?.fire();
    expect(await answer).toBeUndefined();
    expect(m.stats.lastError).toBe('request timed out');
  });

  it('treats a refused connection as a failed fetch', async () => {
    const s = await serve(GOOD);
    const url = s.url;
    await s.close();
    server = undefined;
    expect(await manager(url).m.get()).toBeUndefined();
  });
});

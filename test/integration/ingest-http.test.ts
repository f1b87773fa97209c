import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_RESERVE } from '../../src/ingest/connections.js';
import type { IngestServerOptions } from '../../src/ingest/server.js';
import { type EmbeddedStore, storeFileName } from '../../src/ingest/sinks/embedded-store.js';
import { waitFor } from '../helpers/backend-clients.js';
import {
  PEER_ID,
  push,
  send,
  startIngest,
  syncLine,
  type TestIngest,
  TestSink,
} from '../helpers/ingest-server.js';

let running: TestIngest[] = [];
async function start(options: IngestServerOptions = {}): Promise<TestIngest> {
  const ingest = await startIngest(options);
  running.push(ingest);
  return ingest;
}
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function storedText(ingest: TestIngest): Promise<string> {
  return readFile(join(ingest.dataDir, storeFileName(today())), 'utf8').catch(() => '');
}

describe('endpoints', () => {
  it('/health answers 200 ok to any method', async () => {
    const { url } = await start();
    for (const method of ['GET', 'POST', 'HEAD']) {
      const r = await send(url, { method, path: '/health' });
      expect(r.status).toBe(200);
      if (method !== 'HEAD') expect(r.body).toBe('ok');
    }
  });

  it('/config: 404 when not configured, 405 for other methods, else the JSON document', async () => {
    const off = await start();
    expect(await send(off.url, { method: 'GET', path: '/config' })).toMatchObject({
      status: 404,
      body: 'config not configured\n',
    });
    const on = await start({
      configServerUrl: 'https://metrics.example/',
      configVersionSince: '0.60.0',
      configPeriodMinutes: 10,
    });
    expect((await send(on.url, { method: 'POST', path: '/config' })).status).toBe(405);
    const r = await send(on.url, { method: 'GET', path: '/config' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe(
      '{"period_minutes":10,"server_url":"https://metrics.example/","version-since":"0.60.0","version-until":"99.99.99"}',
    );
  });

  it('/metrics counts requests by status and reason, lines, bytes and sink writes', async () => {
    const { url } = await start();
    expect((await push(url, `${syncLine()}\n${syncLine(TS_2, '2')}\n\n`)).status).toBe(204);
    expect((await push(url, 'cpu v=1\n')).status).toBe(400);
    expect((await send(url, { method: 'POST', body: syncLine() })).status).toBe(401);
    const r = await send(url, { method: 'GET', path: '/metrics' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(r.body).toContain('netbird_ingest_requests_total{code="204",reason="stored"} 1\n');
    expect(r.body).toContain('netbird_ingest_requests_total{code="400",reason="invalid line"} 1\n');
    expect(r.body).toContain(
      'netbird_ingest_requests_total{code="401",reason="invalid peer id"} 1\n',
    );
    expect(r.body).toContain(
      'netbird_ingest_invalid_lines_total{reason="unknown measurement"} 1\n',
    );
    expect(r.body).toContain('netbird_ingest_lines_total{outcome="stored"} 2\n');
    expect(r.body).toContain('netbird_ingest_lines_total{outcome="skipped"} 1\n');
    expect(r.body).toContain(
      'netbird_ingest_upstream_writes_total{sink="embedded",outcome="ok"} 1\n',
    );
    expect(r.body).toMatch(
      /netbird_ingest_upstream_write_duration_seconds_count\{sink="embedded"\} 1\n/,
    );
    expect((await send(url, { method: 'POST', path: '/metrics' })).status).toBe(405);
  });
});

const TS_2 = 1_764_000_000_123_456_790n;

describe('extra routes', () => {
  it('are tried before the ingest catch-all, which still takes every other path', async () => {
    const ingest = await start({
      routes: [
        async (req, res) => {
          if (!req.url?.startsWith('/dashboard')) return false;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('dashboard');
          return true;
        },
      ],
    });
    expect(await send(ingest.url, { method: 'GET', path: '/dashboard' })).toMatchObject({
      status: 200,
      body: 'dashboard',
    });
    expect((await push(ingest.url, syncLine())).status).toBe(204);
    expect((await send(ingest.url, { method: 'GET', path: '/other' })).status).toBe(405);
  });
});

describe('POST (ingest)', () => {
  it('204: stores a plain body and a gzip body, acknowledged only once on disk', async () => {
    const ingest = await start();
    const plain = `${syncLine()}\n`;
    expect(await push(ingest.url, plain)).toMatchObject({ status: 204, body: '' });
    expect(await storedText(ingest)).toContain(plain);
    const gz = gzipSync(`${syncLine(TS_2, '2')}\n`);
    expect((await push(ingest.url, gz, { 'content-encoding': 'gzip' })).status).toBe(204);
    expect(await storedText(ingest)).toContain(`${syncLine(TS_2, '2')}\n`);
    // Any path takes a push, as NetBird's Go ingest does: clients are configured with a bare URL.
    expect(
      (
        await send(ingest.url, {
          path: '/write',
          body: syncLine(TS_2 + 1n),
          headers: { 'x-peer-id': PEER_ID },
        })
      ).status,
    ).toBe(204);
  });

  it('stamps lines without a timestamp with the arrival time in the embedded store', async () => {
    const ingest = await start();
    const before = BigInt(Date.now()) * 1_000_000n;
    expect(
      (await push(ingest.url, `netbird_sync,peer_id=${PEER_ID} duration_seconds=3\n`)).status,
    ).toBe(204);
    const store = ingest.server.sink as EmbeddedStore;
    const samples = [];
    for await (const s of store.readSamples()) samples.push(s);
    expect(samples).toHaveLength(1);
    expect(samples[0]!.timestampNs! >= before).toBe(true);
    expect(samples[0]!.timestampNs! <= BigInt(Date.now()) * 1_000_000n).toBe(true);
  });

  it('405 for other methods on the ingest path', async () => {
    const { url } = await start();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await send(url, { method, headers: { 'x-peer-id': PEER_ID } });
      expect(r).toMatchObject({ status: 405, body: 'method not allowed\n' });
      expect(r.headers.allow).toBe('POST');
    }
  });

  it("401 for a missing, short, long or non-hex X-Peer-ID, in the words of NetBird's Go ingest", async () => {
    const ingest = await start();
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'missing X-Peer-ID header'],
      [{ 'x-peer-id': '0123456789abcd' }, 'invalid X-Peer-ID header length'],
      [{ 'x-peer-id': '0123456789abcdef0' }, 'invalid X-Peer-ID header length'],
      [{ 'x-peer-id': '0123456789abcdeX' }, 'invalid X-Peer-ID header format'],
    ];
    for (const [headers, message] of cases) {
      expect(await send(ingest.url, { body: syncLine(), headers })).toMatchObject({
        status: 401,
        body: `${message}\n`,
      });
    }
    expect((await push(ingest.url, syncLine(), { 'x-peer-id': 'ABCDEF0123456789' })).status).toBe(
      204,
    );
  });

  it('400 names the first bad line and stores nothing of the body', async () => {
    const ingest = await start();
    const r = await push(ingest.url, `${syncLine()}\ncpu,host=a v=1\n${syncLine(TS_2)}\n`);
    expect(r).toMatchObject({ status: 400, body: 'line 2: unknown measurement: "cpu"\n' });
    expect(await storedText(ingest)).toBe('');
    expect(
      ingest.logs.some((l) => l.includes('"status":400') && l.includes('"remote":"127.0.0.1"')),
    ).toBe(true);
  });

  it('400 for a body that is not gzip although it says so, and for empty bodies', async () => {
    const { url } = await start();
    const r = await push(url, 'netbird_sync duration_seconds=1', { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^invalid gzip: /);
    expect(await push(url, '')).toMatchObject({ status: 400, body: 'no valid lines\n' });
  });

  it('415 for an encoding other than gzip or identity', async () => {
    const { url } = await start();
    for (const encoding of ['br', 'deflate', 'zstd']) {
      const r = await push(url, syncLine(), { 'content-encoding': encoding });
      expect(r.status).toBe(415);
      expect(r.body).toContain('unsupported content encoding');
    }
    expect((await push(url, syncLine(), { 'content-encoding': 'identity' })).status).toBe(204);
  });
});

describe('bounds', () => {
  it('413 when Content-Length is over the raw cap, before reading the body', async () => {
    const ingest = await start({
      maxBodyBytes: 1024,
      maxDecodedBytes: 1024,
      maxInFlightBytes: 1024,
    });
    const body = `${syncLine()}\n`.repeat(20); // about 3 KiB
    const r = await push(ingest.url, body);
    expect(r).toMatchObject({ status: 413, body: 'body too large\n' });
    expect(r.headers.connection).toBe('close');
    expect(await storedText(ingest)).toBe('');
    // Just under the cap is fine.
    expect((await push(ingest.url, `${syncLine()}\n`.repeat(6))).status).toBe(204);
  });

  it('413 when a chunked body grows past the raw cap', async () => {
    const ingest = await start({
      maxBodyBytes: 1024,
      maxDecodedBytes: 1024,
      maxInFlightBytes: 1024,
    });
    const chunk = Buffer.from(`${syncLine()}\n`.repeat(3));
    const r = await send(ingest.url, {
      body: [chunk, chunk, chunk],
      headers: { 'x-peer-id': PEER_ID },
    });
    expect(r.status).toBe(413);
    expect(await storedText(ingest)).toBe('');
  });

  it('413 when the gunzipped body passes the decoded cap, though the gzip is small', async () => {
    const ingest = await start({ maxDecodedBytes: 10_000 });
    const body = gzipSync(`${syncLine()}\n`.repeat(100)); // 16 KiB of lines, a few hundred bytes of gzip
    expect(body.length).toBeLessThan(1000);
    const r = await push(ingest.url, body, { 'content-encoding': 'gzip' });
    expect(r).toMatchObject({ status: 413, body: 'body too large\n' });
    const metrics = (await send(ingest.url, { method: 'GET', path: '/metrics' })).body;
    const decoded = Number(
      /netbird_ingest_body_bytes_total\{stage="decoded"\} (\d+)/.exec(metrics)?.[1],
    );
    expect(decoded).toBeGreaterThan(10_000);
    expect(decoded).toBeLessThanOrEqual(10_000 + 64 * 1024);
  });

  it('413 for more lines than the line cap, 400 for a line over the length cap or a long tag value', async () => {
    const ingest = await start({ maxLines: 3, maxLineBytes: 200 });
    expect((await push(ingest.url, `${syncLine()}\n`.repeat(3))).status).toBe(204);
    const many = await push(ingest.url, `${syncLine()}\n`.repeat(4));
    expect(many).toMatchObject({ status: 413, body: 'line 4: too many lines: more than 3\n' });
    const long = await push(
      ingest.url,
      `netbird_sync,version=${'1'.repeat(64)},os=${'l'.repeat(64)},arch=${'a'.repeat(64)} duration_seconds=1\n`,
    );
    expect(long.status).toBe(400);
    expect(long.body).toContain('line too long');
    const tag = await push(
      ingest.url,
      `netbird_sync,version=${'1'.repeat(65)} duration_seconds=1\n`,
    );
    expect(tag.status).toBe(400);
    expect(tag.body).toContain('tag value too long');
  });

  it('429 with Retry-After over the per-peer rate; other peers are not affected', async () => {
    const { url } = await start({ peerRatePerMinute: 1, peerBurst: 2 });
    expect((await push(url, syncLine())).status).toBe(204);
    expect((await push(url, syncLine(TS_2))).status).toBe(204);
    const limited = await push(url, syncLine(TS_2 + 1n));
    expect(limited).toMatchObject({ status: 429, body: 'too many requests\n' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Upper-case hex is the same peer.
    expect((await push(url, syncLine(), { 'x-peer-id': PEER_ID.toUpperCase() })).status).toBe(429);
    expect((await push(url, syncLine(), { 'x-peer-id': 'ffffffffffffffff' })).status).toBe(204);
  });

  it('429 over the per-address rate, keyed by the client IP header when one is set', async () => {
    const { url } = await start({
      addressRatePerMinute: 1,
      addressBurst: 1,
      clientIpHeader: 'X-Forwarded-For',
    });
    const from = (ip: string) => push(url, syncLine(), { 'x-forwarded-for': `203.0.113.9, ${ip}` });
    expect((await from('198.51.100.1')).status).toBe(204);
    expect((await from('198.51.100.1')).status).toBe(429);
    expect((await from('198.51.100.2')).status).toBe(204);
    const direct = await start({ addressRatePerMinute: 1, addressBurst: 1 });
    expect((await push(direct.url, syncLine())).status).toBe(204);
    // A different peer from the same address is still limited.
    expect((await push(direct.url, syncLine(), { 'x-peer-id': 'ffffffffffffffff' })).status).toBe(
      429,
    );
  });

  it('503 with Retry-After when too many requests are in flight, and when their bodies hold too much', async () => {
    const sink = new TestSink();
    const ingest = await start({ sink, maxConcurrentRequests: 1 });
    sink.hold();
    const first = push(ingest.url, syncLine());
    await waitFor(() => sink.started === 1, {
      timeoutMs: 5_000,
      intervalMs: 5,
      what: 'the first write',
    });
    const second = await push(ingest.url, syncLine(TS_2));
    expect(second).toMatchObject({ status: 503, body: 'server busy\n' });
    expect(second.headers['retry-after']).toBe('1');
    sink.release();
    expect((await first).status).toBe(204);
    expect((await push(ingest.url, syncLine(TS_2))).status).toBe(204);

    const sink2 = new TestSink();
    const budget = await start({ sink: sink2, maxDecodedBytes: 2000, maxInFlightBytes: 2000 });
    sink2.hold();
    const big = `${syncLine()}\n`.repeat(10); // about 1.5 KB
    const held = push(budget.url, big);
    await waitFor(() => sink2.started === 1, {
      timeoutMs: 5_000,
      intervalMs: 5,
      what: 'the held write',
    });
    const over = await push(budget.url, `${syncLine(TS_2)}\n`.repeat(5));
    expect(over.status).toBe(503);
    sink2.release();
    expect((await held).status).toBe(204);
    expect((await push(budget.url, `${syncLine(TS_2)}\n`.repeat(5))).status).toBe(204);
  });
});

/** Opens a raw TCP connection, writes `text`, and resolves with what came back once it closes. */
function rawExchange(url: string, text: string): Promise<{ data: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(Number(port), hostname, () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ data, closedAfterMs: Date.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection'));
    }, 10_000).unref();
  });
}

/**
 * A connection in a push whose body is not finished (not idle, so never closed for room), or
 * with `silent` one that sends nothing.
 */
function busyConnection(port: number, host: string, silent = false): Promise<Socket> {
  const request = `POST / HTTP/1.1\r\nHost: x\r\nX-Peer-ID: ${PEER_ID}\r\nContent-Length: 100\r\n\r\nx`;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, host, () => {
      if (!silent) socket.write(request);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Waits until the server is handling `n` pushes: it has accepted and counted their connections. */
async function pushesInFlight(ingest: TestIngest, n: number): Promise<void> {
  await waitFor(
    () => ingest.server.metrics.render().includes(`netbird_ingest_in_flight_requests ${n}\n`),
    { timeoutMs: 5_000, intervalMs: 5, what: `${n} pushes in flight` },
  );
}

describe('timeouts (slow clients cannot hold sockets)', () => {
  it('closes a connection whose headers do not arrive in time (408)', async () => {
    const { url } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const partial = await rawExchange(url, 'POST / HTTP/1.1\r\nHost: x\r\nX-Peer-ID: 0123');
    expect(partial.data).toMatch(/^HTTP\/1\.1 408/);
    expect(partial.closedAfterMs).toBeGreaterThanOrEqual(250);
    const silent = await rawExchange(url, '');
    expect(silent.closedAfterMs).toBeGreaterThanOrEqual(250);
  });

  it('closes a connection whose body does not arrive in time (408), storing nothing', async () => {
    const ingest = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const r = await rawExchange(
      ingest.url,
      `POST / HTTP/1.1\r\nHost: x\r\nX-Peer-ID: ${PEER_ID}\r\nContent-Length: 500\r\n\r\n${syncLine()}\n`,
    );
    expect(r.data).toMatch(/^HTTP\/1\.1 408/);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(await storedText(ingest)).toBe('');
  });

  it('closes an idle kept-alive connection after the keep-alive timeout', async () => {
    const { url } = await start({ keepAliveTimeoutMs: 200 });
    const body = syncLine();
    const r = await rawExchange(
      url,
      `POST / HTTP/1.1\r\nHost: x\r\nX-Peer-ID: ${PEER_ID}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(r.data).toMatch(/^HTTP\/1\.1 204/);
    expect(r.data).toMatch(/keep-alive/i);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(150);
  });

  it('closes connections over the connection limit at once, once the loopback reserve is used', async () => {
    const ingest = await start({ maxConnections: 2 });
    const { url } = ingest;
    const { hostname, port } = new URL(url);
    // Both held connections are in a request (their bodies unfinished) before the next is
    // tried: the server has accepted and counted them, and they are not idle, so not closed.
    const open = await Promise.all([0, 1].map(() => busyConnection(Number(port), hostname)));
    await pushesInFlight(ingest, 2);
    // Past the limit a few loopback connections are still kept, for a health probe.
    const reserve = await Promise.all(
      Array.from({ length: LOOPBACK_RESERVE }, () => busyConnection(Number(port), hostname, true)),
    );
    const third = await rawExchange(url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(third.data).toBe('');
    for (const s of [...open, ...reserve]) s.destroy();
  });
});

describe('shutdown', () => {
  it('finishes in-flight requests, then refuses new connections', async () => {
    const sink = new TestSink();
    const ingest = await startIngest({ sink });
    sink.hold();
    const inFlight = push(ingest.url, syncLine());
    await waitFor(() => sink.started === 1, { timeoutMs: 5_000, intervalMs: 5, what: 'the write' });
    const closed = ingest.server.close();
    sink.release();
    expect((await inFlight).status).toBe(204);
    await closed;
    expect(sink.batches).toEqual([`${syncLine()}\n`]);
    await expect(
      send(ingest.url, { path: '/health', method: 'GET', timeoutMs: 2_000 }),
    ).rejects.toThrow();
    await ingest.stop();
  });
});

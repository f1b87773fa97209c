// How the ingest puts a validated push on the wire to the database: the client's own gzip when
// nothing was changed, a re-encoded body otherwise, and a stale kept-alive connection retried
// once. A fake node:http upstream records the exact bytes; InfluxDB 1.6 checks that what is
// forwarded is accepted.
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { IngestServerOptions } from '../../src/ingest/server.js';
import type { LineBatch, Sink } from '../../src/ingest/sinks/sink.js';
import { DEFAULT_GZIP_MIN_BYTES, HttpUpstreamSink } from '../../src/ingest/sinks/upstream-http.js';
import { influxCreateDatabase, influxQuery, uniqueName } from '../helpers/backend-clients.js';
import {
  EMPTY_PEER_LINE,
  EMPTY_PEER_NORMALISED,
  PEER_ID,
  push,
  startIngest,
  syncLine,
  type TestIngest,
} from '../helpers/ingest-server.js';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** A fake upstream that records the exact bytes; answers 204 unless the test says otherwise. */
async function fakeUpstream(): Promise<RecordingServer> {
  const upstream = await startRecordingServer();
  cleanup.push(() => upstream.close());
  return upstream;
}

async function start(options: IngestServerOptions): Promise<TestIngest> {
  const ingest = await startIngest(options);
  cleanup.push(() => ingest.stop());
  return ingest;
}

/** `count` distinct valid lines, each ending in a newline. */
function lines(count: number, from = 0): string {
  let text = '';
  for (let i = 0; i < count; i++)
    text += `${syncLine(1_764_000_000_000_000_000n + BigInt(from + i))}\n`;
  return text;
}

const GZIP = { 'content-encoding': 'gzip' };

/** Gzip from the first byte on: the pass-through of the clients' own gzip is what is tested. */
const GZIP_ALWAYS = { upstreamGzipMinBytes: 0 };

describe('the client gzip is forwarded when nothing was changed and the write is gzip', () => {
  it('the upstream receives the client gzip byte for byte', async () => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x`, ...GZIP_ALWAYS });
    const body = gzipSync(lines(50), { level: 9 });
    expect((await push(ingest.url, body, GZIP)).status).toBe(204);
    const [req] = upstream.requests;
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-length']).toBe(String(body.length));
    expect(req?.raw.equals(body)).toBe(true);
  });

  it('also when the body is made of several gzip members, and when it decodes to more than one step holds (1 MiB)', async () => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x`, ...GZIP_ALWAYS });
    const members = Buffer.concat([gzipSync(lines(3)), gzipSync(lines(3, 3))]);
    expect((await push(ingest.url, members, GZIP)).status).toBe(204);
    expect(upstream.requests[0]?.raw.equals(members)).toBe(true);

    // About 1.4 MiB of lines in under 64 KiB of gzip: decoded as a stream after the one step.
    const big = lines(8000);
    const body = gzipSync(big, { level: 9 });
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expect(body.length).toBeLessThan(64 * 1024);
    expect((await push(ingest.url, body, GZIP)).status).toBe(204);
    expect(upstream.requests[1]?.raw.equals(body)).toBe(true);
    expect(upstream.requests[1]?.text).toBe(big);
  });

  it('a large body streamed in many chunks is forwarded as received', async () => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x`, ...GZIP_ALWAYS });
    const body = gzipSync(lines(20_000), { level: 0 }); // stored blocks: about 3 MiB on the wire
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    expect((await push(ingest.url, body, GZIP)).status).toBe(204);
    expect(upstream.requests[0]?.raw.equals(body)).toBe(true);
  });
});

describe('a changed body is encoded again', () => {
  it.each([
    [
      'an empty tag value dropped',
      `${lines(2)}${EMPTY_PEER_LINE}\n`,
      `${lines(2)}${EMPTY_PEER_NORMALISED}\n`,
    ],
    ['a comment line skipped', `# from a file\n${lines(2)}`, lines(2)],
    ['an empty line skipped', `${lines(1)}\n${lines(1, 1)}`, lines(2)],
    ['the last newline missing', lines(2).slice(0, -1), lines(2)],
  ])('%s: small, so sent plain, exactly the validated lines', async (_what, sent, expected) => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    expect((await push(ingest.url, gzipSync(sent), GZIP)).status).toBe(204);
    const [req] = upstream.requests;
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(req?.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    expect(req?.text).toBe(expected);
  });

  it('bytes after the gzip data (zero padding), which Node ignores and Go refuses, are not forwarded', async () => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    const padded = Buffer.concat([gzipSync(lines(3)), Buffer.alloc(16)]);
    expect((await push(ingest.url, padded, GZIP)).status).toBe(204);
    const [req] = upstream.requests;
    expect(req?.raw.includes(Buffer.alloc(16))).toBe(false);
    expect(req?.text).toBe(lines(3));
  });

  it('a large changed body is compressed again, and decodes to the validated lines', async () => {
    const upstream = await fakeUpstream();
    const gzipMinBytes = 64 * 1024;
    const ingest = await start({
      influxdbUrl: `${upstream.url}/write?db=x`,
      upstreamGzipMinBytes: gzipMinBytes,
    });
    const text = `${lines(1000)}${EMPTY_PEER_LINE}\n`;
    expect(text.length).toBeGreaterThan(gzipMinBytes);
    const body = gzipSync(text);
    expect((await push(ingest.url, body, GZIP)).status).toBe(204);
    const [req] = upstream.requests;
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.raw.equals(body)).toBe(false);
    expect(req?.text).toBe(`${lines(1000)}${EMPTY_PEER_NORMALISED}\n`);
  });

  it('by default a gzip push, even a combined write, below 4 MiB goes plain', async () => {
    const upstream = await fakeUpstream();
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    const text = lines(5000);
    expect(text.length).toBeGreaterThan(512 * 1024);
    expect(text.length).toBeLessThan(DEFAULT_GZIP_MIN_BYTES);
    expect((await push(ingest.url, gzipSync(text), GZIP)).status).toBe(204);
    const [req] = upstream.requests;
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(req?.raw.toString()).toBe(text);
  });

  it('an uncompressed push, or upstream gzip turned off, goes plain', async () => {
    const upstream = await fakeUpstream();
    const gzipOn = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    expect((await push(gzipOn.url, lines(3))).status).toBe(204);
    const gzipOff = await start({ influxdbUrl: `${upstream.url}/write?db=x`, upstreamGzip: false });
    expect((await push(gzipOff.url, gzipSync(lines(3)), GZIP)).status).toBe(204);
    for (const req of upstream.requests) {
      expect(req.headers['content-encoding']).toBeUndefined();
      expect(req.text).toBe(lines(3));
    }
  });
});

describe('keeping the client gzip is bounded by the in-flight budget', () => {
  /** A sink that takes gzip and records what it was given. */
  function recordingSink(): Sink & { batches: LineBatch[] } {
    const batches: LineBatch[] = [];
    return {
      kind: 'influxdb-v1',
      target: 'memory',
      forwardsGzip: true,
      batches,
      write: async (batch) => {
        batches.push(batch);
      },
      close: async () => {},
    };
  }

  it('kept while a whole decoded body still fits the budget; otherwise not kept, and the push is still stored', async () => {
    const text = lines(600); // about 100 KiB decoded
    const body = gzipSync(text);
    const roomy = recordingSink();
    const a = await start({
      sink: roomy,
      maxDecodedBytes: 200_000,
      maxInFlightBytes: 200_000 + body.length,
    });
    expect((await push(a.url, body, GZIP)).status).toBe(204);
    expect(roomy.batches[0]?.gzip?.equals(body)).toBe(true);

    // One byte less room: a decoded body at the cap would not fit beside the gzip.
    const tight = recordingSink();
    const b = await start({
      sink: tight,
      maxDecodedBytes: 200_000,
      maxInFlightBytes: 200_000 + body.length - 1,
    });
    expect((await push(b.url, body, GZIP)).status).toBe(204);
    expect(tight.batches[0]?.gzip).toBeUndefined();
    expect(Buffer.concat(tight.batches[0]?.pieces ?? []).toString()).toBe(text);
  });

  it('a sink that does not send gzip is not given it', async () => {
    const batches: LineBatch[] = [];
    const sink: Sink = {
      kind: 'influxdb-v1',
      target: 'memory',
      write: async (batch) => {
        batches.push(batch);
      },
      close: async () => {},
    };
    const ingest = await start({ sink });
    expect((await push(ingest.url, gzipSync(lines(3)), GZIP)).status).toBe(204);
    expect(batches[0]?.gzip).toBeUndefined();
  });
});

describe('HttpUpstreamSink', () => {
  function sink(
    url: string,
    extra: Partial<ConstructorParameters<typeof HttpUpstreamSink>[0]> = {},
  ) {
    const s = new HttpUpstreamSink({
      kind: 'influxdb-v1',
      url: new URL(`${url}/write?db=x&precision=n`),
      headers: {},
      timeoutMs: 5_000,
      gzip: true,
      ...extra,
    });
    cleanup.push(() => s.close());
    return s;
  }
  const batch = (text: string): LineBatch => {
    // Several pieces, as the validator hands them over.
    const bytes = Buffer.from(text);
    const pieces = [bytes.subarray(0, 10), bytes.subarray(10, 20), bytes.subarray(20)];
    return { pieces, byteLength: bytes.length, lines: 1 };
  };

  it('compresses a changed batch from gzipMinBytes on, sends it plain below', async () => {
    const upstream = await fakeUpstream();
    const s = sink(upstream.url, { gzipMinBytes: 100 });
    const text = (n: number) => `${'x'.repeat(n - 1)}\n`;
    await s.write(batch(text(99)));
    await s.write(batch(text(100)));
    const [below, at] = upstream.requests;
    expect(below?.headers['content-encoding']).toBeUndefined();
    expect(below?.raw.toString()).toBe(text(99));
    expect(at?.headers['content-encoding']).toBe('gzip');
    expect(at?.text).toBe(text(100));
  });

  it('a request that fails on a kept-alive connection the upstream had closed is sent once more', async () => {
    const upstream = await fakeUpstream();
    // The upstream drops a connection when a second request arrives on it, as a server does
    // that closed it while idle just as the request was sent.
    upstream.handle((req, res) => {
      if (req.earlier > 0) res.socket?.destroy();
      else res.writeHead(204).end();
    });
    const s = sink(upstream.url);
    await s.write(batch(lines(1)));
    await s.write(batch(lines(1, 1)));
    expect(upstream.requests.map((r) => r.earlier)).toEqual([0, 1, 0]);
    expect(upstream.requests[2]?.text).toBe(lines(1, 1));
  });

  it('only once: when the retry fails too, the write is unavailable (503 for the client)', async () => {
    const upstream = await fakeUpstream();
    const s = sink(upstream.url);
    await s.write(batch(lines(1)));
    upstream.handle((_req, res) => void res.socket?.destroy());
    await expect(s.write(batch(lines(1, 1)))).rejects.toMatchObject({
      name: 'SinkUnavailableError',
      message: 'upstream unreachable: ECONNRESET',
    });
    expect(upstream.requests.map((r) => r.earlier)).toEqual([0, 1, 0]);
  });

  it('a connection dropped on its first request is not retried', async () => {
    const upstream = await fakeUpstream();
    upstream.handle((_req, res) => void res.socket?.destroy());
    const s = sink(upstream.url);
    await expect(s.write(batch(lines(1)))).rejects.toMatchObject({ name: 'SinkUnavailableError' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('writes past maxSockets wait for a kept-alive connection; a chunked answer is read whole', async () => {
    const upstream = await fakeUpstream();
    const s = sink(upstream.url, { maxSockets: 1 });
    await Promise.all([0, 1, 2].map((n) => s.write(batch(lines(1, n)))));
    expect(upstream.requests.map((r) => r.earlier)).toEqual([0, 1, 2]);
    upstream.handle((_req, res) => {
      // No Content-Length: the answer goes chunked, in two pieces.
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"error":"partial write:');
      setTimeout(() => res.end(' field type conflict"}'), 5);
    });
    await expect(s.write(batch(lines(1, 3)))).rejects.toMatchObject({
      name: 'SinkRejectedError',
      status: 400,
      message: '{"error":"partial write: field type conflict"}',
    });
    upstream.handle((_req, res) => void res.writeHead(204).end());
    await s.write(batch(lines(1, 4)));
    expect(upstream.requests.at(-1)?.earlier).toBe(4);
  });

  it('a write waiting for a connection is given up when its client goes away, and never sent', async () => {
    const upstream = await fakeUpstream();
    upstream.handle(() => {}); // never answers: the one connection stays busy
    const s = sink(upstream.url, { maxSockets: 1 });
    const first = s.write(batch(lines(1)));
    await upstream.waitForRequests(1);
    const gone = new AbortController();
    const second = s.write(batch(lines(1, 1)), gone.signal);
    // Past the encoding (microtasks): the second write is now queued for the connection.
    await new Promise((resolve) => setTimeout(resolve, 20));
    gone.abort();
    await expect(second).rejects.toMatchObject({ message: 'client went away' });
    await s.close();
    await expect(first).rejects.toMatchObject({ message: 'upstream unreachable: ECONNRESET' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('a write whose client went away before it started is not sent', async () => {
    const upstream = await fakeUpstream();
    const s = sink(upstream.url);
    await expect(s.write(batch(lines(1)), AbortSignal.abort())).rejects.toMatchObject({
      message: 'client went away',
    });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('InfluxDB 1.6 accepts what is forwarded', () => {
  const influx = inject('influxdbUrl');

  it('the client gzip (one member or several) and re-encoded bodies are all stored', async () => {
    const db = uniqueName('ingest_fwd');
    await influxCreateDatabase(influx, db);
    // Gzip from 64 KiB on, so that both plain and every kind of gzip write reach InfluxDB.
    const ingest = await start({
      influxdbUrl: `${influx}/write?db=${db}`,
      upstreamGzipMinBytes: 64 * 1024,
    });
    const sends: Buffer[] = [
      gzipSync(lines(1000, 0)), // forwarded as it is
      Buffer.concat([gzipSync(lines(500, 1000)), gzipSync(lines(500, 1500))]), // several members
      gzipSync(`# comment\n${lines(100, 2000)}`), // re-encoded, small: plain
      gzipSync(`${lines(1000, 2100)}${EMPTY_PEER_LINE}\n`), // re-encoded, large: gzip
    ];
    for (const body of sends) expect((await push(ingest.url, body, GZIP)).status).toBe(204);
    const [series] = await influxQuery(
      influx,
      db,
      `SELECT count(duration_seconds) FROM netbird_sync WHERE peer_id = '${PEER_ID}'`,
    );
    expect(series?.values[0]?.[1]).toBe(3100);
  });
});

import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { IngestServerOptions } from '../../src/ingest/server.js';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
  vmExport,
  vmForceFlush,
  waitFor,
} from '../helpers/backend-clients.js';
import {
  EMPTY_PEER_LINE,
  EMPTY_PEER_NORMALISED,
  PEER_ID,
  push,
  send,
  startIngest,
  syncLine,
  type TestIngest,
  TS,
} from '../helpers/ingest-server.js';
import {
  type Handler,
  type RecordedRequest,
  type RecordingServer,
  reply,
  startRecordingServer,
} from '../helpers/recording-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function start(options: IngestServerOptions): Promise<TestIngest> {
  const ingest = await startIngest(options);
  cleanup.push(() => ingest.stop());
  return ingest;
}

/** A fake upstream for faults a real database will not produce on demand. */
async function fake(handler?: Handler): Promise<RecordingServer> {
  const f = await startRecordingServer(handler);
  cleanup.push(() => f.close());
  return f;
}

describe('forwarding to InfluxDB v2 / v1 endpoints (request shape)', () => {
  it('v2: org, bucket, precision=ns, Authorization: Token, body of the validated lines', async () => {
    const upstream = await fake();
    const ingest = await start({
      influxdbUrl: `${upstream.url}/api/v2/write?org=netbird&bucket=metrics`,
      influxdbToken: 's3cret',
    });
    const r = await push(ingest.url, gzipSync(`${syncLine()}\n${EMPTY_PEER_LINE}\n`), {
      'content-encoding': 'gzip',
    });
    expect(r.status).toBe(204);
    expect(upstream.requests).toHaveLength(1);
    const req = upstream.requests[0]!;
    expect(req.method).toBe('POST');
    const url = new URL(req.url, 'http://x');
    expect(url.pathname).toBe('/api/v2/write');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      org: 'netbird',
      bucket: 'metrics',
      precision: 'ns',
    });
    expect(req.headers.authorization).toBe('Token s3cret');
    // A line was normalised and the body is small: sent plain (see ingest-upstream-forwarding).
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req.text).toBe(`${syncLine()}\n${EMPTY_PEER_NORMALISED}\n`);
  });

  it('v1: db, precision=n and basic auth taken out of the URL; plain body when gzip is off', async () => {
    const upstream = await fake();
    const ingest = await start({
      influxdbUrl: `http://reader:p%40ss@127.0.0.1:${new URL(upstream.url).port}/write?db=netbird`,
      upstreamGzip: false,
    });
    expect((await push(ingest.url, syncLine())).status).toBe(204);
    const req = upstream.requests[0]!;
    expect(new URL(req.url, 'http://x').search).toBe('?db=netbird&precision=n');
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from('reader:p@ss').toString('base64')}`,
    );
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.headers['content-length']).toBe(String(syncLine().length + 1));
    expect(req.text).toBe(`${syncLine()}\n`);
    expect(ingest.server.sink?.target).not.toContain('p%40ss');
  });
});

describe('upstream failures: 503 with Retry-After, nothing acknowledged', () => {
  it('500 → 503 with the default Retry-After', async () => {
    const upstream = await fake(reply(500, '{"error":"engine on fire"}'));
    const ingest = await start({
      influxdbUrl: `${upstream.url}/write?db=x`,
      retryAfterSeconds: 17,
    });
    const r = await push(ingest.url, syncLine());
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('17');
    expect(r.body).toContain('upstream answered 500');
    expect(r.body).toContain('engine on fire');
  });

  it("429 and 503 → 503 with the upstream's Retry-After", async () => {
    for (const status of [429, 503]) {
      const upstream = await fake(reply(status, '', { 'retry-after': '7' }));
      const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
      const r = await push(ingest.url, syncLine());
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('7');
    }
  });

  it('a slow upstream → 503 after the upstream timeout', async () => {
    const upstream = await fake(() => {}); // never answers
    const ingest = await start({
      influxdbUrl: `${upstream.url}/write?db=x`,
      upstreamTimeoutMs: 300,
    });
    const r = await push(ingest.url, syncLine());
    expect(r.status).toBe(503);
    expect(r.body).toContain('timed out after 300 ms');
    expect(r.headers['retry-after']).toBeDefined();
  });

  it('an upstream that is down or drops the connection → 503', async () => {
    const upstream = await fake((_r, res) => void res.socket?.destroy());
    const dropping = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    expect((await push(dropping.url, syncLine())).status).toBe(503);
    const gone = await startRecordingServer();
    const port = new URL(gone.url).port;
    await gone.close();
    const down = await start({ influxdbUrl: `http://127.0.0.1:${port}/write?db=x` });
    const r = await push(down.url, syncLine());
    expect(r.status).toBe(503);
    expect(r.body).toContain('ECONNREFUSED');
    const metrics = (await send(down.url, { method: 'GET', path: '/metrics' })).body;
    expect(metrics).toContain(
      'netbird_ingest_upstream_writes_total{sink="influxdb-v1",outcome="unavailable"} 1',
    );
    expect(metrics).toContain(
      'netbird_ingest_requests_total{code="503",reason="upstream unavailable"} 1',
    );
  });

  it('upstream 4xx about the data are relayed with their status and message (bounded)', async () => {
    const cases: Array<[number, string]> = [
      [400, '{"error":"partial write: field type conflict"}'],
      [422, '{"error":"partial write: points beyond retention policy dropped=1"}'],
    ];
    for (const [status, body] of cases) {
      const upstream = await fake(reply(status, body));
      const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
      expect(await push(ingest.url, syncLine())).toMatchObject({ status, body: `${body}\n` });
    }
    const huge = await fake(reply(400, 'e'.repeat(1024 * 1024)));
    const ingest = await start({ influxdbUrl: `${huge.url}/write?db=x` });
    const r = await push(ingest.url, syncLine());
    expect(r.status).toBe(400);
    expect(r.body.length).toBeLessThanOrEqual(64 * 1024 + 1);
  });
});

describe('a database limit refusing part of a push', () => {
  const limitBody = (value: string, dropped: number) =>
    JSON.stringify({
      error: `partial write: max-values-per-tag limit exceeded (10/10): measurement="netbird_sync" tag="peer_id" value="${value}" dropped=${dropped}`,
    });
  const other = 'fedcba9876543210';

  it('the rest is written again, plain, and acknowledged once the database takes it', async () => {
    const upstream = await fake((req, res) => {
      const refused = req.text.includes(`peer_id=${other}`);
      if (refused) return void res.writeHead(400).end(limitBody(other, 1));
      res.writeHead(204).end();
    });
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    const body = [syncLine(TS), syncLine(TS + 1n, '2', other), syncLine(TS + 2n)].join('\n');
    const r = await push(ingest.url, gzipSync(`${body}\n`), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(204);
    expect(upstream.requests.map((q) => q.text)).toEqual([
      `${body}\n`,
      `${syncLine(TS)}\n${syncLine(TS + 2n)}\n`,
    ]);
    // Both writes are far below the gzip threshold (4 MiB): plain, the client's gzip unused.
    expect(upstream.requests.map((q) => q.headers['content-encoding'])).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('a rewrite that fails is a 503: nothing is acknowledged', async () => {
    let calls = 0;
    const upstream = await fake((_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(400).end(limitBody(other, 1));
      res.writeHead(500).end('{"error":"engine on fire"}');
    });
    const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
    const body = [syncLine(TS), syncLine(TS + 1n, '2', other)].join('\n');
    const r = await push(ingest.url, body);
    expect(r.status).toBe(503);
    expect(r.body).toContain('engine on fire');
    expect(calls).toBe(2);
  });
});

describe('upstream answers that blame the ingest, not the data', () => {
  it.each([
    [401, '{"error":"authorization failed"}'],
    [403, '{"error":"forbidden"}'],
    [404, '{"error":"database not found: \\"x\\""}'],
  ])(
    'upstream %i becomes 503 with Retry-After, so clients keep their samples',
    async (status, body) => {
      const upstream = await fake(reply(status, body));
      const ingest = await start({ influxdbUrl: `${upstream.url}/write?db=x` });
      const r = await push(ingest.url, syncLine());
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
    },
  );
});

describe('end to end with real backends', () => {
  const influx = inject('influxdbUrl');
  const vm = inject('victoriaUrl');

  it('ingest → InfluxDB 1.6 /write: Go client lines are stored and read back exactly', async () => {
    const db = uniqueName('ingest_e2e');
    await influxCreateDatabase(influx, db);
    const ingest = await start({ influxdbUrl: `${influx}/write?db=${db}` });
    const lines = [
      `netbird_peer_connection,deployment_type=selfhosted,connection_type=ice,attempt_type=initial,version=0.61.2,os=linux,arch=amd64,peer_id=${PEER_ID},connection_pair_id=fedcba9876543210 connection_to_wg_handshake_seconds=0,signaling_to_connection_seconds=5e-05,total_seconds=1.2345e+04 ${TS}`,
      `netbird_sync_phase,deployment_type=cloud,version=0.61.2,os=darwin,arch=arm64,peer_id=${PEER_ID},phase=routes_apply duration_seconds=1.234567e-06 ${TS + 1n}`,
      EMPTY_PEER_LINE,
      `netbird_login,deployment_type=cloud,result=success,version=0.61.2,os=windows,arch=amd64,peer_id=${PEER_ID} duration_seconds=0.8 ${TS + 2n}`,
    ];
    const r = await push(ingest.url, gzipSync(`${lines.join('\n')}\n`), {
      'content-encoding': 'gzip',
    });
    expect(r.status).toBe(204);

    const [conn] = await influxQuery(influx, db, 'SELECT * FROM netbird_peer_connection');
    expect(influxRows(conn!)).toEqual([
      {
        time: TS,
        arch: 'amd64',
        attempt_type: 'initial',
        connection_pair_id: 'fedcba9876543210',
        connection_to_wg_handshake_seconds: 0,
        connection_type: 'ice',
        deployment_type: 'selfhosted',
        os: 'linux',
        peer_id: PEER_ID,
        signaling_to_connection_seconds: 5e-5,
        total_seconds: 12345,
        version: '0.61.2',
      },
    ]);
    const [phase] = await influxQuery(
      influx,
      db,
      'SELECT duration_seconds, phase FROM netbird_sync_phase',
    );
    expect(influxRows(phase!)).toEqual([
      { time: TS + 1n, duration_seconds: 1.234567e-6, phase: 'routes_apply' },
    ]);
    const [sync] = await influxQuery(influx, db, 'SELECT * FROM netbird_sync');
    expect(influxRows(sync!)).toEqual([
      {
        time: TS,
        arch: 'amd64',
        deployment_type: 'unknown',
        duration_seconds: 5e-5,
        os: 'linux',
        version: '0.61.2',
      },
    ]);
    const [login] = await influxQuery(
      influx,
      db,
      'SELECT duration_seconds, result FROM netbird_login',
    );
    expect(influxRows(login!)).toEqual([
      { time: TS + 2n, duration_seconds: 0.8, result: 'success' },
    ]);
  });

  it('ingest → VictoriaMetrics /api/v2/write: stored and read back exactly', async () => {
    const version = uniqueName('v');
    const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
    const ingest = await start({
      influxdbUrl: `${vm}/api/v2/write?org=netbird&bucket=metrics`,
      influxdbToken: 'unused-by-vm',
    });
    const body = [
      `netbird_sync,deployment_type=cloud,version=${version},os=linux,arch=amd64,peer_id=${PEER_ID} duration_seconds=0.25 ${t0}`,
      `netbird_sync,deployment_type=cloud,version=${version},os=linux,arch=amd64,peer_id=${PEER_ID} duration_seconds=5e-05 ${t0 + 1_000_000n}`,
      `netbird_login,deployment_type=cloud,result=failure,version=${version},os=linux,arch=amd64,peer_id= duration_seconds=3 ${t0 + 2_000_000n}`,
    ].join('\n');
    expect((await push(ingest.url, body)).status).toBe(204);
    const series = await waitFor(
      async () => {
        await vmForceFlush(vm);
        return vmExport(vm, `{version="${version}"}`);
      },
      { timeoutMs: 15_000, until: (s) => s.length === 2, what: 'both series in VictoriaMetrics' },
    );
    const byName = Object.fromEntries(series.map((s) => [s.metric.__name__, s]));
    const ms = Number(t0 / 1_000_000n);
    expect(byName.netbird_sync_duration_seconds).toMatchObject({
      values: [0.25, 5e-5],
      timestamps: [ms, ms + 1],
    });
    expect(byName.netbird_sync_duration_seconds?.metric).toMatchObject({
      peer_id: PEER_ID,
      os: 'linux',
      deployment_type: 'cloud',
    });
    expect(byName.netbird_login_duration_seconds).toMatchObject({
      values: [3],
      timestamps: [ms + 2],
    });
    expect(byName.netbird_login_duration_seconds?.metric.peer_id).toBeUndefined();
  });

  it('upstream failing, slow, dropping, then back: the client is never acknowledged early, and every sample arrives exactly once', async () => {
    const db = uniqueName('ingest_recovery');
    await influxCreateDatabase(influx, db);
    type Mode = 'fail' | 'slow' | 'drop' | 'pass';
    let mode: Mode = 'fail';
    const forward = async (req: RecordedRequest) =>
      fetch(`${influx}${req.url}`, {
        method: 'POST',
        body: req.text,
        signal: AbortSignal.timeout(10_000),
      });
    const proxy = await fake(async (req, res) => {
      if (mode === 'fail') return void res.writeHead(500).end('down for maintenance');
      if (mode === 'drop') return void res.socket?.destroy();
      const answer = await forward(req); // stored in InfluxDB ...
      if (mode === 'slow') {
        // ... but answered too late (the wait ends when the ingest gives up and hangs up).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 600);
          res.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      res.writeHead(answer.status).end(await answer.text());
    });
    const ingest = await start({
      influxdbUrl: `${proxy.url}/write?db=${db}`,
      upstreamTimeoutMs: 300,
    });
    const count = 50;
    const t0 = TS;
    const body = Array.from({ length: count }, (_, i) =>
      syncLine(t0 + BigInt(i), String(i / 10)),
    ).join('\n');

    const statuses: number[] = [];
    for (const next of ['fail', 'slow', 'drop', 'pass'] as const) {
      mode = next;
      statuses.push((await push(ingest.url, body)).status); // the client resends the same buffer
    }
    expect(statuses).toEqual([503, 503, 503, 204]);
    const [result] = await influxQuery(
      influx,
      db,
      'SELECT count(duration_seconds) FROM netbird_sync',
    );
    expect(influxRows(result!)[0]?.count).toBe(count);
    const [points] = await influxQuery(influx, db, 'SELECT duration_seconds FROM netbird_sync');
    expect(influxRows(points!).map((p) => p.time)).toEqual(
      Array.from({ length: count }, (_, i) => t0 + BigInt(i)),
    );
  });
});

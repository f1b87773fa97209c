import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDashboardHandler,
  type DashboardHandlerOptions,
} from '../../src/ingest/dashboard/handler.js';
import { renderPage } from '../../src/ingest/dashboard/page.js';
import { computePanels, PANELS, type TimeRange } from '../../src/ingest/dashboard/panels.js';
import { type DashboardSource, samplesSource } from '../../src/ingest/dashboard/source.js';
import { createIngestServer } from '../../src/ingest/server.js';
import type { Sample } from '../../src/protocol/schema.js';

const NOW = 1_700_000_000_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function fixture(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < 40; i++) {
    const at = NOW - 40 * 60_000 + i * 60_000;
    out.push({
      measurement: 'netbird_sync',
      tags: {},
      fields: { duration_seconds: 0.05 + i / 100 },
      timestampNs: ns(at),
    });
    out.push({
      measurement: 'netbird_peer_connection',
      tags: {
        connection_type: i % 3 === 0 ? 'relay' : 'ice_p2p',
        attempt_type: 'initial',
        connection_pair_id: `pair${i % 17}`,
      },
      fields: {
        connection_to_wg_handshake_seconds: 0.1,
        signaling_to_connection_seconds: 0.5 + i / 10,
        total_seconds: 0.6 + i / 10,
      },
      timestampNs: ns(at + 1),
    });
    out.push({
      measurement: 'netbird_login',
      tags: { result: i % 7 === 0 ? 'failure' : 'success' },
      fields: { duration_seconds: 0.8 + i / 50 },
      timestampNs: ns(at + 2),
    });
  }
  return out;
}

let server: Server | undefined;
/** Responses the test server has seen close (finished or abandoned by the client). */
let closedResponses = 0;
afterEach(async () => {
  // Requests a test left open (or that were never answered) must not hold the server open.
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Sends a raw request head and returns the status line's code (targets fetch would refuse). */
function rawStatus(base: string, head: string): Promise<number> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    // An unanswered request fails the test instead of hanging it.
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${head}`));
    });
    socket.write(`${head}\r\nhost: x\r\nconnection: close\r\n\r\n`);
  });
}

/** A source whose loads finish only when told to; counts loads and remembers their signals. */
function gatedSource() {
  const signals: AbortSignal[] = [];
  const started: TimeRange[] = [];
  const release: Array<() => void> = [];
  const source: DashboardSource = {
    description: 'gated',
    load: (range, limits, signal) =>
      new Promise((resolve, reject) => {
        started.push(range);
        if (signal) signals.push(signal);
        signal?.addEventListener('abort', () => reject(signal.reason));
        release.push(() => resolve(computePanels(fixture(), range, limits)));
      }),
  };
  const releaseAll = () => {
    for (const r of release.splice(0)) r();
  };
  return { source, signals, started, release: releaseAll };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

/** Requests that go away after the request is sent, as closed browser tabs do. */
function abandon(url: string): () => void {
  const req = request(url, { agent: false });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}

async function serve(options: DashboardHandlerOptions): Promise<string> {
  const handler = createDashboardHandler(options);
  closedResponses = 0;
  const created = createServer((req, res) => {
    res.once('close', () => closedResponses++);
    handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end('not found');
      }
    });
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

describe('dashboard page', () => {
  it('serves the eight panels with data, a refresh and a script allowed by hash only', async () => {
    const base = await serve({ source: samplesSource('fixture', () => fixture()), now: () => NOW });
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    for (const p of PANELS) {
      const m = html.match(
        new RegExp(`<section [^>]*data-panel="${p.id}"[^>]*data-count="(\\d+)"`),
      );
      expect(m, p.id).not.toBeNull();
      expect(Number(m?.[1]), p.id).toBeGreaterThan(0);
    }
    // No range asked for: the refresh asks for none either, so it stays fitted to the data.
    expect(html).toContain('http-equiv="refresh" content="30; url=/dashboard"');
    const preset = await (await fetch(`${base}/dashboard?range=1h&os=linux`)).text();
    expect(preset).toContain(
      'http-equiv="refresh" content="30; url=/dashboard?range=1h&amp;os=linux"',
    );
    const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    expect(res.headers.get('content-security-policy')).toContain(`script-src 'sha256-${hash}'`);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('serves the same numbers as JSON', async () => {
    const samples = fixture();
    const base = await serve({ source: samplesSource('fixture', () => samples), now: () => NOW });
    const body = (await (await fetch(`${base}/dashboard/data.json?range=15m`)).json()) as Record<
      string,
      unknown
    >;
    const expected = computePanels(samples, { from: NOW - 15 * 60_000, to: NOW });
    expect(body).toEqual({ source: 'fixture', ...JSON.parse(JSON.stringify(expected)) });
    expect((body.syncDuration as { total: number }).total).toBe(15);
  });

  it('escapes tag values from clients', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const samples: Sample[] = [
      {
        measurement: 'netbird_peer_connection',
        tags: { connection_type: evil, connection_pair_id: 'p' },
        fields: {
          connection_to_wg_handshake_seconds: 0,
          signaling_to_connection_seconds: 1,
          total_seconds: 1,
        },
        timestampNs: ns(NOW - 1000),
      },
      {
        measurement: 'netbird_login',
        tags: { result: evil },
        fields: { duration_seconds: 1 },
        timestampNs: ns(NOW - 900),
      },
    ];
    const data = computePanels(samples, { from: NOW - 60_000, to: NOW });
    const html = renderPage(data, {
      source: `store ${evil}`,
      rangeKey: '1h',
      ranges: ['1h'],
      basePath: '/dashboard',
      generatedAt: NOW,
    });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
  });

  it('shows "No data" in every panel when the range is empty', async () => {
    const base = await serve({ source: samplesSource('empty', () => []), now: () => NOW });
    const html = await (await fetch(`${base}/dashboard`)).text();
    const sections = html.split('<section ').slice(1);
    const panels = sections.filter((s) => s.includes('data-panel="'));
    expect(panels).toHaveLength(8);
    expect(sections.length).toBeGreaterThan(8);
    for (const s of sections)
      expect(s.split('</section>')[0]).toContain('<div class="empty">No data</div>');
    expect(html.match(/<div class="empty">No data<\/div>/g)).toHaveLength(sections.length);
  });

  it('answers bad ranges with 400, other methods with 405, other paths not at all', async () => {
    const base = await serve({ source: samplesSource('fixture', () => fixture()), now: () => NOW });
    const bad = await fetch(`${base}/dashboard?range=3y`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('unknown range &quot;3y&quot;');
    expect((await fetch(`${base}/dashboard/data.json?from=5&to=1`)).status).toBe(400);
    const tooLong = await fetch(`${base}/dashboard/data.json?from=0&to=${40 * 86_400_000}`);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: string }).error).toContain('at most 31 days');
    const post = await fetch(`${base}/dashboard`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/dashboardx`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(404);
  });

  it('accepts an explicit range and keeps it on refresh', async () => {
    const samples = fixture();
    const base = await serve({ source: samplesSource('fixture', () => samples), now: () => NOW });
    const from = NOW - 10 * 60_000;
    const html = await (await fetch(`${base}/dashboard?from=${from}&to=${NOW}`)).text();
    expect(html).toContain(`url=/dashboard?from=${from}&amp;to=${NOW}`);
    expect(html).toMatch(/data-panel="sync-duration"[^>]*data-count="10"/);
  });

  it('reports a failing source as 502 with the reason, escaped', async () => {
    const failing: DashboardSource = {
      description: 'InfluxDB <down>',
      load: () => Promise.reject(new Error('connect ECONNREFUSED <x>')),
    };
    const base = await serve({ source: failing, now: () => NOW });
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).toContain(
      'could not read metrics from InfluxDB &lt;down&gt;: connect ECONNREFUSED &lt;x&gt;',
    );
  });

  it('answers absurd, repeated and malformed parameters with 400, never a 5xx', async () => {
    const base = await serve({ source: samplesSource('fixture', () => fixture()), now: () => NOW });
    for (const query of [
      'from=1e300',
      'from=1e300&to=1e300',
      `from=${2 ** 53}&to=${2 ** 53}`,
      'from=-1e300&to=0',
      'range=1h&range=6h',
      `from=${NOW - 10}&from=${NOW - 20}&to=${NOW}`,
    ]) {
      const page = await fetch(`${base}/dashboard?${query}`);
      expect(page.status, query).toBe(400);
      const json = await fetch(`${base}/dashboard/data.json?${query}`);
      expect(json.status, query).toBe(400);
      expect(((await json.json()) as { error: string }).error, query).toBeTruthy();
    }
    expect(await rawStatus(base, 'GET http://[/dashboard HTTP/1.1')).toBe(400);
  });

  it('answers a malformed target with 400 in the ingest server too', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dashboard-target-'));
    const handler = createDashboardHandler({ source: samplesSource('none', () => []) });
    const ingest = createIngestServer({ dataDir, logLevel: 'error', routes: [handler] });
    try {
      const { url } = await ingest.listen(0, '127.0.0.1');
      expect(await rawStatus(url, 'GET http://[/dashboard HTTP/1.1')).toBe(400);
      expect(await rawStatus(url, 'GET /dashboard?from=1e300&to=1e300 HTTP/1.1')).toBe(400);
    } finally {
      await ingest.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('runs one load for identical requests and reuses its result for a while', async () => {
    const gated = gatedSource();
    const base = await serve({ source: gated.source, now: () => NOW });
    const pages = Array.from({ length: 5 }, () => fetch(`${base}/dashboard?range=15m`));
    const json = fetch(`${base}/dashboard/data.json?range=15m`);
    await until(() => gated.signals.length > 0);
    gated.release();
    for (const res of await Promise.all([...pages, json])) expect(res.status).toBe(200);
    expect((await fetch(`${base}/dashboard?range=15m`)).status).toBe(200);
    expect(gated.signals).toHaveLength(1);
  });

  it('runs a bounded number of loads at once and refuses the excess with 503 and Retry-After', async () => {
    const gated = gatedSource();
    const base = await serve({
      source: gated.source,
      now: () => NOW,
      maxConcurrentLoads: 2,
      maxQueuedLoads: 1,
      retryAfterSeconds: 7,
    });
    // Distinct ranges, so no request can share another's load.
    const url = (i: number) => `${base}/dashboard/data.json?from=${NOW - 1000 - i}&to=${NOW}`;
    const admitted = [0, 1, 2].map((i) => fetch(url(i)));
    await until(() => gated.signals.length === 2);
    const refused = await fetch(url(3));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(((await refused.json()) as { error: string }).error).toContain('busy');
    expect(gated.signals).toHaveLength(2);
    // The queued one runs as soon as a slot frees.
    gated.release();
    await until(() => gated.signals.length === 3);
    gated.release();
    for (const res of await Promise.all(admitted)) expect(res.status).toBe(200);
  });

  it('stops the work of a flood of abandoned requests', async () => {
    const gated = gatedSource();
    const base = await serve({ source: gated.source, now: () => NOW });
    // 150 identical requests share one load; when all are gone it is aborted.
    const leave = Array.from({ length: 150 }, () => abandon(`${base}/dashboard`));
    await until(() => gated.signals.length === 1);
    for (const l of leave) l();
    await until(() => gated.signals[0]?.aborted === true);
    await until(() => closedResponses === 150);
    // Distinct requests beyond the limit wait; those abandoned while waiting never start.
    const from = (i: number) => NOW - 1000 - i;
    const queued = Array.from({ length: 10 }, (_, i) =>
      abandon(`${base}/dashboard?from=${from(i)}&to=${NOW}`),
    );
    await until(() => gated.signals.length === 3);
    // The waiting ones go first, and the running ones only once the server has seen them go:
    // the server learns of each close on its own, so this order is what makes "never start"
    // something the test can see.
    const running = new Set(gated.started.slice(1).map((r) => r.from));
    const isRunning = (i: number) => running.has(from(i));
    for (const [i, go] of queued.entries()) if (!isRunning(i)) go();
    await until(() => closedResponses === 150 + 8);
    for (const [i, go] of queued.entries()) if (isRunning(i)) go();
    await until(() => gated.signals.every((s) => s.aborted));
    await new Promise((r) => setTimeout(r, 50));
    expect(gated.signals).toHaveLength(3);
    // Nothing is left holding a slot.
    const fresh = fetch(`${base}/dashboard?range=5m`);
    await until(() => gated.signals.length === 4);
    gated.release();
    expect((await fresh).status).toBe(200);
  });

  it('aborts the source read when the client goes away', async () => {
    let signal: AbortSignal | undefined;
    const hanging: DashboardSource = {
      description: 'slow',
      load: (_range, _limits, s) =>
        new Promise((_resolve, reject) => {
          signal = s;
          s?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const base = await serve({ source: hanging, now: () => NOW });
    // A plain socket that goes away, as a closed browser tab does.
    const req = request(`${base}/dashboard`, { agent: false });
    req.on('error', () => {});
    req.end();
    while (signal === undefined) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    expect(signal.aborted).toBe(true);
  });
});

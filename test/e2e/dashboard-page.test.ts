import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDashboardHandler,
  type DashboardHandlerOptions,
} from '../../src/ingest/dashboard/handler.js';
import { renderPage } from '../../src/ingest/dashboard/page.js';
import { computePanels, PANELS } from '../../src/ingest/dashboard/panels.js';
import { type DashboardSource, samplesSource } from '../../src/ingest/dashboard/source.js';
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
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(options: DashboardHandlerOptions): Promise<string> {
  const handler = createDashboardHandler(options);
  const created = createServer((req, res) => {
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
    expect(html).toContain('http-equiv="refresh" content="30; url=/dashboard?range=1h"');
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
    expect(html.match(/<div class="empty">No data<\/div>/g)).toHaveLength(8);
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

// The page rendered from hand-built insights: every number it shows is the one it was given, the
// filters are shareable links and forms that work without JavaScript, and nothing a client sent
// (tag values, filter values) or the server knows (its folders) leaks unescaped.
import { describe, expect, it } from 'vitest';
import type { Filters } from '../../src/ingest/dashboard/filters.js';
import { formatSeconds } from '../../src/ingest/dashboard/format.js';
import type { Distribution, Insights } from '../../src/ingest/dashboard/insights.js';
import { emptyInsights } from '../../src/ingest/dashboard/insights-accumulator.js';
import { type PageOptions, renderPage } from '../../src/ingest/dashboard/page.js';
import { computePanels, type DashboardData } from '../../src/ingest/dashboard/panels.js';
import { quantiles } from '../../src/ingest/dashboard/quantiles.js';
import { sourceKind } from '../../src/ingest/dashboard/views/header.js';
import type { Sample } from '../../src/protocol/schema.js';

const NOW = 1_700_000_000_000;
const RANGE = { from: NOW - 30 * 60_000, to: NOW };
const RANGES = ['5m', '15m', '1h', '6h', '24h', '7d'];

function dist(values: number[]): Distribution {
  const q = quantiles(values);
  return {
    overall: q,
    overTime: {
      count: [values.length, 0],
      p50: [q.p50 ?? null, null],
      p95: [q.p95 ?? null, null],
      p99: [q.p99 ?? null, null],
    },
  };
}

function insights(filters: Filters = {}): Insights {
  const base = emptyInsights(RANGE, filters);
  const q = quantiles([0.01, 0.02, 0.4]);
  return {
    ...base,
    extent: { from: NOW - 60_000, to: NOW - 60_000 },
    distributions: {
      connectionTotal: dist([0.3, 0.9, 1.5, 7, 194.4]),
      signalingToConnection: dist([0.2, 0.8, 1.2]),
      connectionToHandshake: dist([0, 0, 1]),
      sync: dist([0.1, 0.3, 2.5]),
      login: dist([1, 3]),
    },
    breakdowns: {
      p95TotalByConnectionType: {
        unit: 'seconds',
        rows: [
          { label: 'relay', value: 7, count: 3 },
          { label: 'ice_p2p', value: 0.3, count: 2 },
        ],
      },
      relayShareByOs: {
        unit: 'ratio',
        rows: [
          { label: 'linux', value: 0.25, count: 4 },
          { label: 'unknown', value: 0, count: 1 },
          { label: 'other', value: 1, count: 2, other: true },
        ],
      },
      loginFailureRateByVersion: {
        unit: 'ratio',
        rows: [{ label: '0.61.0 "<b>"', value: 0.5, count: 2 }],
      },
      connectionsByAttemptType: { unit: 'count', rows: [{ label: 'initial', value: 5, count: 5 }] },
    },
    syncPhases: {
      rows: [{ phase: 'routes_apply', quantiles: q, totalSeconds: 0.43, shareOfSync: 0.15 }],
      secondsOverTime: [new Array(base.buckets.count).fill(0).map((_, i) => (i === 0 ? 0.43 : 0))],
      syncTotalSeconds: 2.9,
      syncSecondsOverTime: new Array(base.buckets.count).fill(0).map((_, i) => (i === 0 ? 2.9 : 0)),
    },
    truncated: ['percentiles of sync are estimates from 1000 of 2000 values'],
  };
}

const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const SAMPLES: Sample[] = [
  {
    measurement: 'netbird_peer_connection',
    tags: { connection_type: 'relay', connection_pair_id: 'p1' },
    fields: {
      connection_to_wg_handshake_seconds: 0,
      signaling_to_connection_seconds: 1,
      total_seconds: 1,
    },
    timestampNs: ns(NOW - 60_000),
  },
];

function page(
  options: Partial<PageOptions> & { filters?: Filters } = {},
  description = 'embedded store (/var/lib/netbird-ingest)',
): { html: string; data: DashboardData } {
  const data = { ...computePanels(SAMPLES, RANGE), insights: insights(options.filters) };
  const html = renderPage(data, {
    source: description,
    rangeKey: '1h',
    ranges: RANGES,
    basePath: '/dashboard',
    generatedAt: NOW,
    ...options,
  });
  return { html, data };
}

const attrs = (html: string, re: RegExp) => [...html.matchAll(re)].map((m) => m.slice(1));

describe('dashboard page', () => {
  it('shows every distribution and phase with the numbers it was given', () => {
    const { html, data } = page();
    const rows = attrs(html, /<tr data-dist="([^"]+)"[^>]*data-count="(\d+)">([\s\S]*?)<\/tr>/g);
    expect(rows.map((r) => r[0])).toEqual([
      'connectionTotal',
      'signalingToConnection',
      'connectionToHandshake',
      'sync',
      'login',
      'phase:routes_apply',
    ]);
    const d = data.insights.distributions;
    const expected = [
      d.connectionTotal,
      d.signalingToConnection,
      d.connectionToHandshake,
      d.sync,
      d.login,
    ]
      .map((x) => x.overall)
      .concat([data.insights.syncPhases.rows[0]?.quantiles as Distribution['overall']]);
    rows.forEach((r, i) => {
      const q = expected[i] as Distribution['overall'];
      expect(Number(r[1])).toBe(q.count);
      for (const name of ['p50', 'p95', 'p99', 'max'] as const) {
        const cell = new RegExp(`data-q="${name}" data-seconds="([^"]+)"[^>]*>([^<]+)<`).exec(
          r[2] as string,
        );
        expect(Number(cell?.[1]), `${r[0]} ${name}`).toBe(q[name]);
        expect(cell?.[2]).toBe(formatSeconds(q[name]));
      }
    });
    // The slowest connection (3.24 min) is red, not green.
    expect(html).toMatch(/data-q="max" data-seconds="194.4" style="color:#f2495c">3.24 min</);
    expect(html).toMatch(/<tr data-phase="routes_apply"[^>]*data-share="0.15"/);
    expect(html).toContain('>15%<');
    expect(html).toContain('percentiles of sync are estimates from 1000 of 2000 values');
  });

  it('renders every operator view and the eight panels', () => {
    const { html } = page();
    expect(attrs(html, /<section [^>]*data-view="([^"]+)"/g).flat()).toEqual([
      'percentiles',
      'connection-total-over-time',
      'sync-over-time',
      'login-over-time',
      'connection-total-heatmap',
      'sync-heatmap',
      'p95-total-by-connection-type',
      'relay-share-by-os',
      'login-failure-rate-by-version',
      'connections-by-attempt-type',
      'sync-phases',
      'sync-phase-time',
    ]);
    expect(attrs(html, /<section [^>]*data-panel="([^"]+)"/g)).toHaveLength(8);
    // The stage bars show p50 and p95 of each stage, the mean beside them.
    expect(html).toMatch(
      /class="stage" data-stage="Signaling to Connection" data-count="1" data-mean="1" data-p50="0.8" data-p95="1.2"/,
    );
  });

  it('shows only the kind of source, never a server path or address', () => {
    const { html } = page();
    expect(html).toContain('id="source">embedded store · ');
    expect(html).not.toContain('/var/lib');
    expect(
      sourceKind('InfluxDB http://influx.internal:8086 · database metrics (autogen) via InfluxQL'),
    ).toBe('InfluxDB metrics');
    expect(sourceKind('embedded store')).toBe('embedded store');
    expect(sourceKind('mirror https://x.example/y of /srv/data (eu)')).toBe('mirror of');
  });

  it('links breakdown rows to their filter, keeping the range and the other filters', () => {
    const { html } = page({ filters: { deployment_type: 'cloud' } });
    const links = attrs(html, /<a class="group" href="([^"]+)"/g).flat();
    expect(links).toEqual([
      '/dashboard?range=1h&amp;connection_type=relay&amp;deployment_type=cloud',
      '/dashboard?range=1h&amp;connection_type=ice_p2p&amp;deployment_type=cloud',
      '/dashboard?range=1h&amp;os=linux&amp;deployment_type=cloud',
      '/dashboard?range=1h&amp;version=0.61.0+%22%3Cb%3E%22&amp;deployment_type=cloud',
      '/dashboard?range=1h&amp;attempt_type=initial&amp;deployment_type=cloud',
    ]);
    // "unknown" (no tag) and "other" (many groups) cannot be selected by a filter.
    expect(html).toMatch(
      /<tr class="row" data-label="unknown"[^>]*><th scope="row"><span class="group">/,
    );
    expect(html).toMatch(
      /<tr class="row" data-label="other" data-other="1"[^>]*><th scope="row"><span class="group">/,
    );
    expect(html).not.toContain('<b>');
  });

  it('has one GET form per tag, each sending only its own non-empty value with the view', () => {
    const { html } = page({ filters: { os: 'ios', version: '0.61.0' }, rangeKey: 'custom' });
    const forms = attrs(
      html,
      /<form class="filter" method="get" action="\/dashboard" data-tag="([^"]+)">([\s\S]*?)<\/form>/g,
    );
    expect(forms.map((f) => f[0])).toEqual([
      'connection_type',
      'attempt_type',
      'os',
      'arch',
      'version',
      'deployment_type',
    ]);
    for (const [tag, body] of forms) {
      const inputs = attrs(body as string, /<input ([^>]*)>/g).map((a) => a[0] as string);
      const named = inputs.map((i) => /name="([^"]+)"/.exec(i)?.[1]);
      // The custom range is kept, as are the other filters; the tag's own input is required.
      expect(named.filter((n) => n !== tag)).toEqual(
        ['from', 'to', 'os', 'version'].filter((n) => n !== tag),
      );
      const own = inputs.find((i) => i.includes(`name="${tag}"`)) ?? '';
      expect(own).toContain('required');
      expect(own.includes('value=')).toBe(tag === 'os' || tag === 'version');
    }
    expect(html).toContain(`<input type="hidden" name="from" value="${RANGE.from}">`);
  });

  it('shows active filters as chips that link to the view without them', () => {
    const { html } = page({
      filters: { os: 'ios', version: '1 "&<x>' },
      fit: true,
      rangeKey: '24h',
    });
    const chips = attrs(
      html,
      /<a class="chip" data-tag="([^"]+)" href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g,
    );
    expect(chips.map((c) => [c[0], c[1]])).toEqual([
      ['os', '/dashboard?version=1+%22%26%3Cx%3E'],
      ['version', '/dashboard?os=ios'],
    ]);
    expect(chips[1]?.[2]).toContain('version: 1 &quot;&amp;&lt;x&gt;');
    expect(html).toContain('value="1 &quot;&amp;&lt;x&gt;"');
    expect(html).not.toContain('<x>');
  });

  it('keeps a fit view fitted on refresh, and a preset or custom range as asked', () => {
    const fit = page({ fit: true, rangeKey: '24h', filters: { os: 'ios' } }).html;
    expect(fit).toContain('content="30; url=/dashboard?os=ios"');
    expect(fit).toMatch(/<a href="\/dashboard\?os=ios" title="[^"]*" class="on">fit<\/a>/);
    expect(fit).toContain('<a href="/dashboard?range=24h&amp;os=ios">24h</a>');
    expect(fit).toContain('fitted to the data');
    const empty = renderPage(
      { ...computePanels([], RANGE), insights: emptyInsights(RANGE) },
      { source: 'x', rangeKey: '24h', ranges: RANGES, basePath: '/d', generatedAt: NOW, fit: true },
    );
    expect(empty).toContain('last 24h (no data to fit the range to)');
    const preset = page({ rangeKey: '6h' }).html;
    expect(preset).toContain('content="30; url=/dashboard?range=6h"');
    expect(preset).toContain('<a href="/dashboard?range=6h" class="on">6h</a>');
    const custom = page({ rangeKey: 'custom' }).html;
    expect(custom).toContain(`content="30; url=/dashboard?from=${RANGE.from}&amp;to=${RANGE.to}"`);
  });

  it('draws time axes over the range it was given', () => {
    const { html } = page();
    const lines = html.slice(html.indexOf('data-view="connection-total-over-time"'));
    const times = attrs(lines.slice(0, lines.indexOf('</section>')), /data-t="(\d+)"/g).map((t) =>
      Number(t[0]),
    );
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(RANGE.from);
      expect(t).toBeLessThanOrEqual(RANGE.to);
    }
  });
});

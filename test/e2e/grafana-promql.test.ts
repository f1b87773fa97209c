// Every query of the PromQL Grafana dashboard, run on demo data against the two real PromQL
// backends of the OTel path: Prometheus scraping the demo's Prometheus endpoint, and
// VictoriaMetrics receiving the demo's OTLP. Instant panels must return exactly what the
// recorded samples imply (quantiles by Prometheus' bucket interpolation); rate panels must
// return, per series the samples imply, quantiles within the occupied buckets.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_DEFAULTS } from '../../examples/demo/cli-options.js';
import { type DemoRun, runDemo } from '../../examples/demo/demo.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/instrumentation/otel-recorder.js';
import type { Sample } from '../../src/protocol/schema.js';
import {
  listenOnScrapeTarget,
  type PromSample,
  promQuery,
  uniqueName,
  vmForceFlush,
  vmQuery,
  waitFor,
} from '../helpers/backend-clients.js';
import { cumulativeBuckets, histogramQuantile } from '../helpers/prom-histogram.js';

interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  instant: boolean;
}
interface Panel {
  title: string;
  targets: Target[];
}
const dashboard = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../grafana/dashboards/netbird-promql.json'), 'utf8'),
) as { panels: Panel[] };

type Query = (promql: string) => Promise<PromSample[]>;

interface Backend {
  instant: Query;
  /** Base URL for range queries. */
  url: string;
  /** The label matcher Grafana's ad hoc filter would add to pick this run's series. */
  matcher: string;
}

/** What Grafana does with the ad hoc filter: add the matcher to every selector. */
function withFilter(expr: string, matcher: string): string {
  return expr.replace(/\{__name__=~"[^"]*"/g, (selector) => `${selector}, ${matcher}`);
}
// Longer than the run, so rate windows during it span several scrapes or exports.
const RATE_INTERVAL = '30s';
const withGrafanaVars = (expr: string) => expr.split('$__rate_interval').join(RATE_INTERVAL);

async function rangeQuery(url: string, promql: string, start: number, end: number) {
  const body = new URLSearchParams({
    query: promql,
    start: String(start / 1000),
    end: String(end / 1000),
    step: '1',
  });
  const res = await fetch(`${url}/api/v1/query_range`, {
    method: 'POST',
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const parsed = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
  };
  if (parsed.status !== 'success') throw new Error(`${promql}: ${parsed.error}`);
  return parsed.data.result;
}

// ------------------------------------------------------------------ expectations from samples

const of = (samples: readonly Sample[], m: string) => samples.filter((s) => s.measurement === m);
const field = (samples: readonly Sample[], f: string) => samples.map((s) => s.fields[f] as number);
const quantile = (q: number, values: readonly number[]) =>
  histogramQuantile(q, cumulativeBuckets(values, DURATION_BUCKETS_SECONDS));
function groupBy(samples: readonly Sample[], tag: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = s.tags[tag] ?? '';
    out.set(key, [...(out.get(key) ?? []), s]);
  }
  return out;
}
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Expected instant results: label value (or '' without a label) → value. */
function expectedInstant(
  panel: string,
  refId: string,
  samples: readonly Sample[],
): Map<string, number> {
  const conns = of(samples, 'netbird_peer_connection');
  const sync = field(of(samples, 'netbird_sync'), 'duration_seconds');
  const q = { A: 0.5, B: 0.95, C: 0.99 }[refId] ?? Number.NaN;
  switch (panel) {
    case 'Sync Duration Quantiles':
      return new Map([['', quantile(q, sync)]]);
    case 'Total Connection Time Quantiles':
      return new Map([['', quantile(q, field(conns, 'total_seconds'))]]);
    case 'ICE vs Relay (attempts)':
      return new Map([...groupBy(conns, 'connection_type')].map(([k, v]) => [k, v.length]));
    case 'Login Success vs Failure':
      return new Map(
        [...groupBy(of(samples, 'netbird_login'), 'result')].map(([k, v]) => [k, v.length]),
      );
    case 'Connection Stage Durations (avg)':
      return new Map([
        ['signaling_to_connection', mean(field(conns, 'signaling_to_connection_seconds'))],
        ['connection_to_wg_handshake', mean(field(conns, 'connection_to_wg_handshake_seconds'))],
      ]);
    case 'Sync Phases p95':
      return new Map(
        [...groupBy(of(samples, 'netbird_sync_phase'), 'phase')].map(([k, v]) => [
          k,
          quantile(0.95, field(v, 'duration_seconds')),
        ]),
      );
    default:
      throw new Error(`no expectation for instant panel ${panel}`);
  }
}

/** Expected series of a rate panel: label value → the values the series is made of. */
function expectedRange(panel: string, samples: readonly Sample[]): Map<string, number[]> {
  const conns = of(samples, 'netbird_peer_connection');
  switch (panel) {
    case 'Sync Duration (p50, p95)':
      return new Map([['', field(of(samples, 'netbird_sync'), 'duration_seconds')]]);
    case 'Total Connection Time p95 by Type':
      return new Map(
        [...groupBy(conns, 'connection_type')].map(([k, v]) => [k, field(v, 'total_seconds')]),
      );
    case 'Login Duration p95 by Result':
      return new Map(
        [...groupBy(of(samples, 'netbird_login'), 'result')].map(([k, v]) => [
          k,
          field(v, 'duration_seconds'),
        ]),
      );
    default:
      throw new Error(`no expectation for range panel ${panel}`);
  }
}

/** The label a target's legend shows (`{{stage}}` → stage), '' for none. */
const legendLabel = (t: Target) => /\{\{(\w+)\}\}/.exec(t.legendFormat)?.[1] ?? '';

/** The bucket bounds around the values: a quantile from the buckets lies within them. */
function bucketSpan(values: readonly number[]): [number, number] {
  const bounds = [0, ...DURATION_BUCKETS_SECONDS];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const below = bounds.filter((b) => b <= lo).pop() ?? 0;
  const above = bounds.find((b) => b >= hi) ?? Number.POSITIVE_INFINITY;
  return [below, above];
}

async function checkDashboard(backend: Backend, run: DemoRun, startedAt: number): Promise<number> {
  let checked = 0;
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const expr = withGrafanaVars(withFilter(target.expr, backend.matcher));
      const label = legendLabel(target);
      if (target.instant) {
        const got = await backend.instant(expr);
        const expected = expectedInstant(panel.title, target.refId, run.samples);
        expect(
          new Set(got.map((r) => r.metric[label] ?? '')),
          `${panel.title} ${target.refId}`,
        ).toEqual(new Set(expected.keys()));
        for (const r of got) {
          const want = expected.get(r.metric[label] ?? '') as number;
          expect(r.value, `${panel.title} ${target.refId} ${r.metric[label] ?? ''}`).toBeCloseTo(
            want,
            9,
          );
        }
      } else {
        const expected = expectedRange(panel.title, run.samples);
        if (!expr.includes('rate(')) {
          // Without rate(), the series is the quantile of everything recorded so far: now, that
          // of all the samples.
          const q = Number(/histogram_quantile\(([\d.]+)/.exec(expr)?.[1]);
          const now = await backend.instant(expr);
          expect(now.length, panel.title).toBe(expected.size);
          for (const r of now) {
            const own = expected.get(r.metric[label] ?? '') ?? [];
            expect(r.value, `${panel.title} ${r.metric[label] ?? ''}`).toBeCloseTo(
              quantile(q, own),
              9,
            );
          }
        }
        const series = await rangeQuery(backend.url, expr, startedAt, Date.now());
        expect(
          new Set(series.map((s) => s.metric[label] ?? '')),
          `${panel.title} ${target.refId}`,
        ).toEqual(new Set(expected.keys()));
        for (const s of series) {
          const own = expected.get(s.metric[label] ?? '') ?? [];
          const [lo, hi] = bucketSpan(own);
          const values = s.values.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v));

          expect(values.length, `${panel.title} ${target.refId}: no finite value`).toBeGreaterThan(
            0,
          );
          for (const v of values) {
            expect(v, panel.title).toBeGreaterThanOrEqual(lo);
            expect(v, panel.title).toBeLessThanOrEqual(hi);
          }
        }
      }
      checked++;
    }
  }
  return checked;
}

async function demo(env: Record<string, string>, dataDir: string): Promise<DemoRun> {
  return runDemo(
    // Few peers: every peer has its own series (peer_id) and one endpoint serves them all, so a
    // large simulated fleet makes a scrape slower than Prometheus' 1 s interval here.
    { ...DEMO_DEFAULTS, peers: 12, durationSeconds: 5, windowMinutes: 30, seed: 5, dataDir },
    { write: () => {}, interactive: false, warn: () => {}, env },
  );
}

/**
 * Resolves once the backend holds the final count of every instrument, in `_count` and in the
 * +Inf bucket, so no query sees a half-ingested export or scrape.
 */
async function untilComplete(query: Query, matcher: string, samples: readonly Sample[]) {
  const expected: Array<[string, number]> = [
    ['netbird[._]login[._]duration', of(samples, 'netbird_login').length],
    ['netbird[._]sync[._]duration', of(samples, 'netbird_sync').length],
    ['netbird[._]sync[._]phase[._]duration', of(samples, 'netbird_sync_phase').length],
    // One total per connection sample, and two stages (the demo records every stage).
    ['netbird[._]peer[._]connection[._]duration', of(samples, 'netbird_peer_connection').length],
    [
      'netbird[._]peer[._]connection[._]stage[._]duration',
      2 * of(samples, 'netbird_peer_connection').length,
    ],
  ];
  await waitFor(
    async () => {
      for (const [name, n] of expected) {
        for (const suffix of ['count', 'bucket']) {
          const le = suffix === 'bucket' ? ', le="+Inf"' : '';
          const r = await query(`sum({__name__=~"${name}(_seconds)?_${suffix}", ${matcher}${le}})`);
          if (r[0]?.value !== n) return false;
        }
      }
      return true;
    },
    { timeoutMs: 20_000, what: 'every instrument to reach its final count' },
  );
}

const targetCount = () => dashboard.panels.reduce((n, p) => n + p.targets.length, 0);

describe('PromQL dashboard', () => {
  it('on Prometheus, scraping the demo with NB_METRICS_EXPORTER=prometheus', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbom-promql-'));
    let run: DemoRun | undefined;
    let port = 0;
    try {
      const prom = inject('prometheusUrl');
      // Hold a free scrape port until Prometheus scrapes it (a fresh Prometheus applies new
      // targets only after a few seconds), so the demo's first recordings are seen as increases.
      const placeholder = createServer((_req, res) => res.end('# placeholder\n'));
      port = await listenOnScrapeTarget(placeholder, inject('prometheusTargetPorts'));
      const matcher = `instance="127.0.0.1:${port}"`;
      try {
        await waitFor(() => promQuery(prom, `up{${matcher}} == 1`), {
          timeoutMs: 20_000,
          until: (r) => r.length > 0,
          what: 'Prometheus to scrape the target port',
        });
      } finally {
        await new Promise<void>((resolve) => placeholder.close(() => resolve()));
      }
      const startedAt = Date.now();
      run = await demo(
        {
          NB_METRICS_EXPORTER: 'prometheus',
          OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
          OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
        },
        dir,
      );
      const instant: Query = (q) => promQuery(prom, q);
      await untilComplete(instant, matcher, run.samples);
      expect(await checkDashboard({ instant, url: prom, matcher }, run, startedAt)).toBe(
        targetCount(),
      );
    } finally {
      await run?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on VictoriaMetrics, receiving the demo over OTLP with NB_METRICS_EXPORTER=otlp', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbom-promql-'));
    const vm = inject('victoriaUrl');
    const service = uniqueName('demo_otlp');
    let run: DemoRun | undefined;
    try {
      const startedAt = Date.now();
      run = await demo(
        {
          NB_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${vm}/opentelemetry/v1/metrics`,
          OTEL_SERVICE_NAME: service,
          // Several exports during the run, so rate() has points to work with.
          OTEL_METRIC_EXPORT_INTERVAL: '1000',
        },
        dir,
      );
      const instant: Query = async (q) => {
        await vmForceFlush(vm);
        return vmQuery(vm, q);
      };
      // Resource attributes become labels: `service_name` with -opentelemetry.usePrometheusNaming,
      // `service.name` without.
      const logins = of(run.samples, 'netbird_login').length;
      const matcher = await waitFor(
        async () => {
          for (const m of [`service_name="${service}"`, `"service.name"="${service}"`]) {
            const r = await instant(
              `sum({__name__=~"netbird[._]login[._]duration(_seconds)?_count", ${m}})`,
            );
            if (r[0]?.value === logins) return m;
          }
          return undefined;
        },
        { timeoutMs: 15_000, what: 'VictoriaMetrics to hold the final export' },
      );
      if (matcher === undefined) throw new Error('unreachable: waitFor returned nothing');
      await untilComplete(instant, matcher, run.samples);
      expect(await checkDashboard({ instant, url: vm, matcher }, run, startedAt)).toBe(
        targetCount(),
      );
    } finally {
      await run?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

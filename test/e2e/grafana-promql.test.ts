// Every query of the PromQL Grafana dashboards (client metrics and sync phases), run on demo data
// against the two real PromQL backends of the OTel path: Prometheus scraping the demo's
// Prometheus endpoint, and VictoriaMetrics receiving the demo's OTLP, with the template variables
// at "All" and set to one value. Instant panels must return exactly what the recorded samples
// imply (quantiles by Prometheus' bucket interpolation, shares and top-k groups computed here);
// rate panels must return, per series the samples imply, quantiles within the occupied buckets,
// and heatmaps one series per bucket bound.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_DEFAULTS } from '../../examples/demo/cli-options.js';
import { type DemoRun, runDemo } from '../../examples/demo/demo.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/instrumentation/otel-recorder.js';
import type { MeasurementName, Sample } from '../../src/protocol/schema.js';
import {
  listenOnScrapeTarget,
  type PromSample,
  promQuery,
  uniqueName,
  vmForceFlush,
  vmQuery,
  waitFor,
} from '../helpers/backend-clients.js';
import {
  checkTopK,
  commonest,
  commonestValues,
  groupBy,
  interpolate,
  selected,
  type VariableValues,
} from '../helpers/grafana-variables.js';
import { cumulativeBuckets, histogramQuantile } from '../helpers/prom-histogram.js';

interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  instant: boolean;
  format: string;
}
interface Panel {
  title: string;
  targets: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string }> };
}
const DASHBOARDS = ['netbird-promql.json', 'netbird-sync-phases-promql.json'].map(
  (file) =>
    JSON.parse(
      readFileSync(join(import.meta.dirname, '../../grafana/dashboards', file), 'utf8'),
    ) as Dashboard,
);

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
const withGrafanaVars = (expr: string, vars: VariableValues) =>
  interpolate(expr, vars, { __rate_interval: RATE_INTERVAL }, true);

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

type Filtered = (m: MeasurementName) => Sample[];
const of = (samples: readonly Sample[], m: string) => samples.filter((s) => s.measurement === m);
const field = (samples: readonly Sample[], f: string) => samples.map((s) => s.fields[f] as number);
const quantile = (q: number, values: readonly number[]) =>
  histogramQuantile(q, cumulativeBuckets(values, DURATION_BUCKETS_SECONDS));
const byTag = (samples: readonly Sample[], tag: string) =>
  groupBy(samples, (s) => s.tags[tag] ?? '');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mapValues = <T>(m: Map<string, T[]>, f: (xs: T[]) => number) =>
  new Map([...m].map(([k, v]) => [k, f(v)]));
const STAGE_FIELDS: Record<string, string> = {
  signaling_to_connection: 'signaling_to_connection_seconds',
  connection_to_wg_handshake: 'connection_to_wg_handshake_seconds',
};

/** The label a target's legend shows (`{{stage}}` → stage), '' for none. */
const legendLabel = (t: Target) => /\{\{(\w+)\}\}/.exec(t.legendFormat)?.[1] ?? '';
/** What a percentile panel's target shows: `p95` → 0.95, `count` → 'count'. */
function shown(t: Target): number | 'count' {
  const m = /(p(\d+)|count)$/.exec(t.legendFormat);
  if (m?.[1] === 'count') return 'count';
  if (m?.[2] === undefined) throw new Error(`no quantile in legend ${t.legendFormat}`);
  return Number(m[2]) / 100;
}

/** The values of a percentile quantity by the label that splits it ('' for none). */
const QUANTITY: Record<string, (s: Filtered) => Map<string, number[]>> = {
  'Total Connection Time': (s) =>
    new Map([['', field(s('netbird_peer_connection'), 'total_seconds')]]),
  'Connection Stages': (s) =>
    new Map(
      Object.entries(STAGE_FIELDS).map(([stage, f]) => [
        stage,
        field(s('netbird_peer_connection'), f),
      ]),
    ),
  'Sync Duration': (s) => new Map([['', field(s('netbird_sync'), 'duration_seconds')]]),
  'Login Duration': (s) => new Map([['', field(s('netbird_login'), 'duration_seconds')]]),
};

function shareBy(samples: Sample[], tag: string, isPart: (s: Sample) => boolean) {
  return mapValues(byTag(samples, tag), (ss) => ss.filter(isPart).length / ss.length);
}

const phaseValues = (s: Filtered) =>
  new Map(
    [...byTag(s('netbird_sync_phase'), 'phase')].map(([k, v]) => [k, field(v, 'duration_seconds')]),
  );

/** Expected instant results: label value (or '' without a label) → value; topk bounds some. */
function expectedInstant(
  panel: string,
  t: Target,
  s: Filtered,
): { values: Map<string, number>; topk?: number } {
  const conns = s('netbird_peer_connection');
  const quantityTitle = / p50 \/ p95 \/ p99$/.exec(panel) ? panel.replace(/ p50.*$/, '') : '';
  const quantity = QUANTITY[quantityTitle];
  if (quantity !== undefined) {
    const what = shown(t);
    return {
      values: mapValues(quantity(s), (xs) => (what === 'count' ? xs.length : quantile(what, xs))),
    };
  }
  switch (panel) {
    case 'ICE vs Relay (attempts)':
      return { values: mapValues(byTag(conns, 'connection_type'), (v) => v.length), topk: 10 };
    case 'Login Success vs Failure':
      return { values: mapValues(byTag(s('netbird_login'), 'result'), (v) => v.length) };
    case 'Connection Stage Durations (avg)':
      return {
        values: new Map(
          Object.entries(STAGE_FIELDS).map(([stage, f]) => [stage, mean(field(conns, f))]),
        ),
      };
    case 'Sync Phases p95':
      return { values: mapValues(phaseValues(s), (xs) => quantile(0.95, xs)), topk: 20 };
    case 'p95 Total Connection Time by Connection Type':
      return {
        values: mapValues(byTag(conns, 'connection_type'), (v) =>
          quantile(0.95, field(v, 'total_seconds')),
        ),
        topk: 10,
      };
    case 'Relay Share by OS':
      return { values: shareBy(conns, 'os', (c) => c.tags.connection_type === 'relay'), topk: 10 };
    case 'Login Failure Rate by Version':
      return {
        values: shareBy(s('netbird_login'), 'version', (l) => l.tags.result === 'failure'),
        topk: 10,
      };
    case 'Connections by Attempt Type':
      return { values: mapValues(byTag(conns, 'attempt_type'), (v) => v.length), topk: 10 };
    case 'Phase p50 / p95 / p99':
      return {
        values: mapValues(phaseValues(s), (xs) => quantile(shown(t) as number, xs)),
        topk: 20,
      };
    case 'Phase Mean / p95 / Max': {
      const of: Record<string, (xs: number[]) => number> = {
        A: mean,
        B: (xs) => quantile(0.95, xs),
        // The upper bound of the highest occupied bucket.
        C: (xs) => quantile(1, xs),
        D: (xs) => xs.length,
      };
      return {
        values: mapValues(phaseValues(s), of[t.refId] as (xs: number[]) => number),
        topk: 20,
      };
    }
    case 'Share of Sync Time per Phase': {
      const phases = phaseValues(s);
      const all = sum([...phases.values()].flat());
      return { values: mapValues(phases, (xs) => sum(xs) / all), topk: 20 };
    }
    default:
      throw new Error(`no expectation for instant panel ${panel}`);
  }
}

/** Expected series of a range panel: label value → the values the series is made of. */
function expectedRange(panel: string, s: Filtered): Map<string, number[]> {
  const quantity = QUANTITY[panel.replace(/ Percentiles over Time$/, '')];
  if (quantity !== undefined) return quantity(s);
  const valuesBy = (m: MeasurementName, tag: string, f: string) =>
    new Map([...byTag(s(m), tag)].map(([k, v]) => [k, field(v, f)]));
  switch (panel) {
    case 'Total Connection Time p95 by Type':
      return valuesBy('netbird_peer_connection', 'connection_type', 'total_seconds');
    case 'Login Duration p95 by Result':
      return valuesBy('netbird_login', 'result', 'duration_seconds');
    case 'Sync Duration by Version (reference)':
      return valuesBy('netbird_sync', 'version', 'duration_seconds');
    case 'Total Connection Time Heatmap':
    case 'Sync Duration Heatmap':
      // One series per bucket bound, whatever the values.
      return new Map(
        [...DURATION_BUCKETS_SECONDS, Number.POSITIVE_INFINITY].map((le) => [String(le), []]),
      );
    case 'Time per Phase':
      return phaseValues(s);
    default:
      throw new Error(`no expectation for range panel ${panel}`);
  }
}

/** A heatmap bucket's `le` label as a number's string, whatever the backend's spelling. */
const leKey = (le: string) => String(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));

/** The bucket bounds around the values: a quantile from the buckets lies within them. */
function bucketSpan(values: readonly number[]): [number, number] {
  const bounds = [0, ...DURATION_BUCKETS_SECONDS];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const below = bounds.filter((b) => b <= lo).pop() ?? 0;
  const above = bounds.find((b) => b >= hi) ?? Number.POSITIVE_INFINITY;
  return [below, above];
}

const close = (actual: number, want: number, what: string) =>
  expect(actual, what).toBeCloseTo(want, 9);

async function checkInstant(
  backend: Backend,
  panel: Panel,
  target: Target,
  expr: string,
  s: Filtered,
) {
  const label = legendLabel(target);
  const got = await backend.instant(expr);
  const { values, topk } = expectedInstant(panel.title, target, s);
  const what = `${panel.title} ${target.refId}`;
  const gotMap = new Map(got.map((r) => [r.metric[label] ?? '', r.value]));
  expect(gotMap.size, `${what}: one answer per group`).toBe(got.length);
  if (topk === undefined) {
    expect(new Set(gotMap.keys()), what).toEqual(new Set(values.keys()));
    for (const [k, v] of gotMap) close(v, values.get(k) as number, `${what} ${k}`);
  } else {
    checkTopK(gotMap, values, topk, (a, w, k) => close(a, w, `${what} ${k}`));
  }
}

async function checkRange(
  backend: Backend,
  panel: Panel,
  target: Target,
  expr: string,
  s: Filtered,
  startedAt: number,
) {
  const label = legendLabel(target);
  const expected = expectedRange(panel.title, s);
  const what = `${panel.title} ${target.refId}`;
  const counts = target.format === 'heatmap' || panel.title === 'Time per Phase';
  if (!counts && !expr.includes('rate(')) {
    // Without rate(), the series is the quantile of everything recorded so far: now, that of
    // all the samples.
    const q = Number(/histogram_quantile\(([\d.]+)/.exec(expr)?.[1]);
    const now = await backend.instant(expr);
    expect(now.length, what).toBe(expected.size);
    for (const r of now) {
      const own = expected.get(r.metric[label] ?? '') ?? [];
      close(r.value, quantile(q, own), `${what} ${r.metric[label] ?? ''}`);
    }
  }
  const series = await rangeQuery(backend.url, expr, startedAt, Date.now());
  const key = (m: Record<string, string>) =>
    label === 'le' ? leKey(m.le ?? '') : (m[label] ?? '');
  const keys = new Set(series.map((x) => key(x.metric)));
  if (expr.includes('rate(')) {
    // A rate needs two scrapes of a series' increase inside one window: a group whose few
    // samples all landed between the same two scrapes may have no point at any step. So every
    // group shown must be one of the stored ones, and at least one must show.
    expect(keys.size, `${what}: no series`).toBeGreaterThan(0);
    for (const k of keys) expect(expected.has(k), `${what}: unexpected ${label}=${k}`).toBe(true);
  } else {
    expect(keys, what).toEqual(new Set(expected.keys()));
  }
  let positive = 0;
  for (const x of series) {
    const values = x.values.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v));
    expect(values.length, `${what}: no finite value`).toBeGreaterThan(0);
    if (counts) {
      // Increases of counts and of summed seconds: never negative, and something happened.
      for (const v of values) expect(v, what).toBeGreaterThanOrEqual(0);
      positive += values.filter((v) => v > 0).length;
      continue;
    }
    const [lo, hi] = bucketSpan(expected.get(key(x.metric)) ?? []);
    for (const v of values) {
      expect(v, what).toBeGreaterThanOrEqual(lo);
      expect(v, what).toBeLessThanOrEqual(hi);
    }
  }
  if (counts) expect(positive, `${what}: only zeros`).toBeGreaterThan(0);
}

/** Runs every target of both PromQL dashboards with the variables set to `vars`. */
async function checkDashboard(
  backend: Backend,
  run: DemoRun,
  startedAt: number,
  vars: VariableValues,
): Promise<number> {
  let checked = 0;
  for (const d of DASHBOARDS) {
    // A dashboard without a variable leaves its tag alone.
    const own = d.templating.list.map((v) => v.name);
    const mine = Object.fromEntries(Object.entries(vars).filter(([k]) => own.includes(k)));
    const s: Filtered = (m) => selected(run.samples, m, mine);
    for (const panel of d.panels) {
      for (const target of panel.targets) {
        const expr = withGrafanaVars(withFilter(target.expr, backend.matcher), mine);
        if (target.instant) await checkInstant(backend, panel, target, expr, s);
        else await checkRange(backend, panel, target, expr, s, startedAt);
        checked++;
      }
    }
  }
  return checked;
}

/** The settings each backend is checked with: All, single tag values, several values. */
function variableSettings(samples: readonly Sample[]): VariableValues[] {
  const conn = 'netbird_peer_connection';
  return [
    {},
    { os: commonest(samples, conn, 'os') },
    { connection_type: 'relay' },
    { version: commonest(samples, 'netbird_sync_phase', 'version') },
    { os: commonestValues(samples, conn, 'os', 2), attempt_type: ['initial', 'reconnection'] },
  ];
}

/** Grafana's `label_values(selector, label)`: the label API with the selector as `match[]`. */
async function checkVariables(url: string, matcher: string, samples: readonly Sample[]) {
  for (const d of DASHBOARDS) {
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      const [, selector, name] = /^label_values\((.*), (\w+)\)$/.exec(v.query ?? '') ?? [];
      const match = withFilter(selector ?? '', matcher);
      const res = await fetch(
        `${url}/api/v1/label/${name}/values?${new URLSearchParams({ 'match[]': match })}`,
        { signal: AbortSignal.timeout(10_000) },
      );
      const got = ((await res.json()) as { data: string[] }).data;
      const source = /netbird\[\._\]sync\[\._\]duration/.test(selector ?? '')
        ? 'netbird_sync'
        : 'netbird_peer_connection';
      const want = new Set(
        samples.filter((x) => x.measurement === source).map((x) => x.tags[name ?? '']),
      );
      expect(new Set(got), `${d.uid} ${v.name}`).toEqual(want);
    }
  }
}

async function checkAll(backend: Backend, run: DemoRun, startedAt: number) {
  await checkVariables(backend.url, backend.matcher, run.samples);
  for (const vars of variableSettings(run.samples)) {
    expect(await checkDashboard(backend, run, startedAt, vars)).toBe(targetCount());
  }
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

const targetCount = () =>
  DASHBOARDS.reduce((n, d) => n + d.panels.reduce((k, p) => k + p.targets.length, 0), 0);

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
      await checkAll({ instant, url: prom, matcher }, run, startedAt);
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
      await checkAll({ instant, url: vm, matcher }, run, startedAt);
    } finally {
      await run?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

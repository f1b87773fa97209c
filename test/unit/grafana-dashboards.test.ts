// The Grafana dashboards, their provisioning, the compose stack and the collector config parse,
// and reference only datasources, services, volumes, files and variables that exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DASHBOARD_FILES,
  INFLUXQL_DATASOURCE,
  PROMETHEUS_DATASOURCE,
} from '../../grafana/dashboard-definitions.js';
import { FILTER_TAGS } from '../../grafana/variables.js';
import { INFLUXQL_PANEL_QUERIES } from '../../src/ingest/dashboard/influxql-queries.js';
import { PANELS } from '../../src/ingest/dashboard/panels.js';
import { INSTRUMENTS } from '../../src/instrumentation/otel-recorder.js';
import { MEASUREMENTS } from '../../src/protocol/schema.js';
import { parseYamlSubset, readYamlSubset, YamlSubsetError } from '../helpers/yaml-subset.js';

const ROOT = join(import.meta.dirname, '..', '..');
const at = (...parts: string[]) => join(ROOT, ...parts);

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  query?: string;
  expr?: string;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  description?: string;
  fieldConfig?: {
    defaults: {
      unit?: string;
      color?: { mode: string };
      thresholds?: { steps: Array<{ color: string; value: number | null }> };
    };
  };
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: {
    list: Array<{
      name: string;
      type: string;
      multi?: boolean;
      includeAll?: boolean;
      allValue?: string;
      datasource?: { type: string; uid: string };
    }>;
  };
}
interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string };
      environment?: Record<string, string>;
      volumes?: string[];
      depends_on?: string[] | Record<string, unknown>;
      networks?: string[];
      profiles?: string[];
      command?: string[];
      ports?: string[];
    }
  >;
  volumes: Record<string, unknown>;
  networks: Record<string, unknown>;
}

const dashboards = Object.keys(DASHBOARD_FILES).map(
  (file) => JSON.parse(readFileSync(at('grafana', 'dashboards', file), 'utf8')) as Dashboard,
);
const datasources = (
  readYamlSubset(at('grafana/provisioning/datasources/netbird.yaml')) as unknown as {
    datasources: Array<{
      uid: string;
      type: string;
      url: string;
      secureJsonData?: Record<string, string>;
    }>;
  }
).datasources;
const compose = readYamlSubset(at('docker-compose.yml')) as unknown as Compose;

describe('Grafana dashboards', () => {
  it('are the committed output of grafana/dashboard-definitions.ts', () => {
    for (const [file, build] of Object.entries(DASHBOARD_FILES)) {
      const committed = JSON.parse(readFileSync(at('grafana', 'dashboards', file), 'utf8'));
      expect(committed, `${file}: run npx tsx grafana/generate.ts`).toEqual(
        JSON.parse(JSON.stringify(build())),
      );
    }
  });

  it('use only datasources the provisioning defines, by uid and type', () => {
    const defined = new Set(datasources.map((d) => `${d.type}/${d.uid}`));
    expect(defined).toEqual(
      new Set([
        `${INFLUXQL_DATASOURCE.type}/${INFLUXQL_DATASOURCE.uid}`,
        `${PROMETHEUS_DATASOURCE.type}/${PROMETHEUS_DATASOURCE.uid}`,
      ]),
    );
    for (const d of dashboards) {
      for (const p of d.panels) {
        expect(
          defined.has(`${p.datasource.type}/${p.datasource.uid}`),
          `${d.uid}: ${p.title}`,
        ).toBe(true);
        for (const t of p.targets) {
          expect(
            defined.has(`${t.datasource.type}/${t.datasource.uid}`),
            `${p.title} ${t.refId}`,
          ).toBe(true);
        }
      }
      for (const v of d.templating.list) {
        if (v.datasource)
          expect(defined.has(`${v.datasource.type}/${v.datasource.uid}`)).toBe(true);
      }
    }
  });

  it('have unique uids, unique panel ids, panels inside the 24-column grid and a query per target', () => {
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    for (const d of dashboards) {
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
      for (const p of d.panels) {
        expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
        for (const t of p.targets) expect((t.query ?? t.expr ?? '').trim(), p.title).not.toBe('');
      }
    }
  });

  it('InfluxQL: the eight reference panels, with the queries the built-in dashboard runs, narrowed by the variables', () => {
    const influx = dashboards.find((d) => d.uid === 'netbird-influxql-metrics');
    const titles = influx?.panels.map((p) => p.title) ?? [];
    for (const panel of PANELS) expect(titles).toContain(panel.title);
    for (const panel of PANELS) {
      const grafana = influx?.panels.find((p) => p.title === panel.title);
      // Without the variable filters (all "All": the same answers), the built-in query.
      const unfiltered = grafana?.targets.map((t) =>
        (t.query ?? '').replace(/ AND "\w+" =~ \/\^\$\w+\$\//g, ''),
      );
      expect(unfiltered).toEqual(INFLUXQL_PANEL_QUERIES[panel.id]);
      for (const t of grafana?.targets ?? []) {
        expect(t.query).toContain('$timeFilter');
        expect(t.query).toContain('"os" =~ /^$os$/');
      }
    }
  });

  it('PromQL: quantiles come from the histogram buckets', () => {
    const prom = dashboards.find((d) => d.uid === 'netbird-promql-metrics');
    const exprs = prom?.panels.flatMap((p) => p.targets.map((t) => t.expr ?? '')) ?? [];
    const quantiles = exprs.filter((e) => e.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThanOrEqual(6);
    for (const e of quantiles) expect(e).toMatch(/_bucket"/);
    expect(prom?.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual([
      ...FILTER_TAGS.map((t) => `${t}:query`),
      'filter:adhoc',
    ]);
  });

  it('PromQL: the connection total and its stages come from their own instruments', () => {
    const prom = dashboards.find((d) => d.uid === 'netbird-promql-metrics');
    const exprs = prom?.panels.flatMap((p) => p.targets.map((t) => t.expr ?? '')) ?? [];
    const total = 'netbird[._]peer[._]connection[._]duration';
    const stage = 'netbird[._]peer[._]connection[._]stage[._]duration';
    // No query has to filter the total out of a sum over stages, or a stage out of the total.
    for (const e of exprs) expect(e).not.toMatch(/stage=/);
    expect(exprs.filter((e) => e.includes(total)).length).toBeGreaterThanOrEqual(5);
    const byStage = exprs.filter((e) => e.includes('sum by (stage)'));
    expect(byStage.length).toBeGreaterThan(0);
    for (const e of byStage) {
      expect(e).toContain(stage);
      expect(e).not.toContain(total);
    }
  });
});

describe('Grafana dashboards: filters, bounds and honest colours', () => {
  const byUid = (uid: string) => dashboards.find((d) => d.uid === uid) as Dashboard;
  const queryOf = (t: Target) => t.query ?? t.expr ?? '';
  const clientDashboards = ['netbird-influxql-metrics', 'netbird-promql-metrics'].map(byUid);
  const phaseDashboards = ['netbird-sync-phases-influxql', 'netbird-sync-phases-promql'].map(byUid);
  const reference = new Set<string>(PANELS.map((p) => p.title));
  const INSTRUMENT_MEASUREMENT: Record<string, keyof typeof MEASUREMENTS> = {
    [INSTRUMENTS.connection]: 'netbird_peer_connection',
    [INSTRUMENTS.connectionStage]: 'netbird_peer_connection',
    [INSTRUMENTS.sync]: 'netbird_sync',
    [INSTRUMENTS.syncPhase]: 'netbird_sync_phase',
    [INSTRUMENTS.login]: 'netbird_login',
  };
  const applying = (m: keyof typeof MEASUREMENTS, tags: readonly string[]) =>
    tags.filter((t) => (MEASUREMENTS[m].tags as readonly string[]).includes(t));

  /** Each NetBird selector or FROM of a query, with the text that filters it. */
  function sources(d: Dashboard, q: string): Array<[keyof typeof MEASUREMENTS, string]> {
    if (d.uid.endsWith('influxql') || d.uid === 'netbird-influxql-metrics') {
      // InfluxQL: each innermost FROM "netbird_…" with its WHERE.
      return [...q.matchAll(/FROM "(netbird_\w+)" (WHERE [^)]*)/g)].map((m) => [
        m[1] as keyof typeof MEASUREMENTS,
        m[2] as string,
      ]);
    }
    return [...q.matchAll(/\{__name__=~"([^"]+)"([^}]*)\}/g)].map((m) => {
      const instrument = (m[1] as string)
        .replace('(_seconds)?', '')
        .replace(/_(bucket|count|sum)$/, '')
        .split('[._]')
        .join('.');
      const measurement = INSTRUMENT_MEASUREMENT[instrument];
      if (measurement === undefined) throw new Error(`unknown instrument ${instrument}`);
      return [measurement, m[2] as string];
    });
  }

  it('have a multi-select variable with "All" per tag, and filter every query by each that applies', () => {
    for (const [ds, tags] of [
      [clientDashboards, FILTER_TAGS],
      [phaseDashboards, ['version']],
    ] as const) {
      for (const d of ds) {
        const vars = d.templating.list.filter((v) => v.type === 'query');
        expect(vars.map((v) => v.name)).toEqual([...tags]);
        for (const v of vars)
          expect([v.multi, v.includeAll, v.allValue]).toEqual([true, true, '.*']);
        for (const p of d.panels) {
          for (const t of p.targets) {
            const found = sources(d, queryOf(t));
            expect(found.length, `${p.title}: ${queryOf(t)}`).toBeGreaterThan(0);
            for (const [m, filter] of found) {
              for (const tag of tags) {
                const influx = `"${tag}" =~ /^$${tag}$/`;
                const promql = `${tag}=~"$${tag}"`;
                const has = filter.includes(influx) || filter.includes(promql);
                expect(has, `${d.uid} ${p.title}: ${m} by ${tag}`).toBe(
                  applying(m, tags).includes(tag),
                );
              }
            }
          }
        }
      }
    }
  });

  it('use only variables they define and Grafana built-ins', () => {
    const builtins = ['timeFilter', '__interval', '__rate_interval'];
    for (const d of dashboards) {
      const defined = d.templating.list.map((v) => v.name);
      for (const p of d.panels) {
        for (const t of p.targets) {
          for (const [, name] of queryOf(t).matchAll(/\$(\w+)/g)) {
            expect([...builtins, ...defined], `${d.uid} ${p.title}`).toContain(name);
          }
        }
      }
    }
  });

  it('colour by fixed thresholds in seconds, so a slow value is never green', () => {
    for (const d of dashboards) {
      for (const p of d.panels) {
        const defaults = p.fieldConfig?.defaults;
        expect(String(defaults?.color?.mode), p.title).not.toMatch(/^continuous/);
        if (p.type === 'heatmap' || p.type === 'piechart') continue;
        expect(['s', 'percentunit'], `${d.uid} ${p.title}`).toContain(defaults?.unit);
        const steps = defaults?.thresholds?.steps ?? [];
        if (p.title === 'Time per Phase') continue; // stacked seconds of all clients: no judgement
        expect(steps.length, `${d.uid} ${p.title}`).toBe(3);
        expect(steps.map((s) => s.color)).toEqual(['green', 'yellow', 'red']);
        const [, yellow, red] = steps.map((s) => s.value ?? 0);
        expect(yellow, p.title).toBeGreaterThan(0);
        expect(red, p.title).toBeGreaterThan(yellow ?? 0);
        if (/Connection/.test(p.title) && defaults?.unit === 's')
          expect([yellow, red]).toEqual([1, 5]);
      }
    }
  });

  it('say how percentiles are computed: nearest rank in InfluxQL, bucket interpolation in PromQL', () => {
    for (const d of dashboards) {
      for (const p of d.panels) {
        const qs = p.targets.map(queryOf).join('\n');
        if (/percentile\(/.test(qs)) expect(p.description, p.title).toMatch(/nearest rank/);
        if (/histogram_quantile\(/.test(qs))
          expect(`${p.description} ${d.uid}`, p.title).toMatch(/histogram_quantile/);
      }
    }
    for (const d of clientDashboards) {
      for (const q of [
        'Total Connection Time',
        'Connection Stages',
        'Sync Duration',
        'Login Duration',
      ]) {
        const stat = d.panels.find((p) => p.title === `${q} p50 / p95 / p99`);
        const lines = d.panels.find((p) => p.title === `${q} Percentiles over Time`);
        expect([stat?.type, lines?.type], `${d.uid} ${q}`).toEqual(['stat', 'timeseries']);
        expect(stat?.targets.map(queryOf).join(' '), q).toMatch(/count/);
      }
      const heatmaps = d.panels.filter((p) => p.type === 'heatmap').map((p) => p.title);
      expect(heatmaps).toEqual(['Total Connection Time Heatmap', 'Sync Duration Heatmap']);
    }
  });

  it('bound every breakdown by a tag: top / SLIMIT in InfluxQL, topk in PromQL', () => {
    const breakdowns = [
      'p95 Total Connection Time by Connection Type',
      'Relay Share by OS',
      'Login Failure Rate by Version',
      'Connections by Attempt Type',
    ];
    for (const d of [...clientDashboards, ...phaseDashboards]) {
      const titles = d.panels.map((p) => p.title);
      if (clientDashboards.includes(d)) expect(titles).toEqual(expect.arrayContaining(breakdowns));
      for (const p of d.panels) {
        if (reference.has(p.title)) continue;
        for (const t of p.targets) {
          const q = queryOf(t);
          // A group per tag value (not per time, bucket or stage) must be bounded.
          const groupsByTag = t.query
            ? /GROUP BY (time\(\$__interval\), )?"\w+"/.test(q)
            : /sum by \((le, )?(os|version|connection_type|attempt_type|phase)\)/.test(q);
          if (groupsByTag) expect(q, `${d.uid} ${p.title}`).toMatch(/SLIMIT \d+|top\(|topk\(\d+/);
        }
      }
    }
  });

  it('sync phases: a dashboard per query language, with the five panels', () => {
    for (const d of phaseDashboards) {
      expect(d.panels.map((p) => p.title)).toEqual([
        'Time per Phase',
        'Phase p50 / p95 / p99',
        'Phase Mean / p95 / Max',
        'Share of Sync Time per Phase',
        'Sync Duration by Version (reference)',
      ]);
    }
  });
});

describe('Grafana provisioning', () => {
  it('loads the dashboards from where compose mounts them', () => {
    const providers = (
      readYamlSubset(at('grafana/provisioning/dashboards/netbird.yaml')) as unknown as {
        providers: Array<{ type: string; options: { path: string } }>;
      }
    ).providers;
    const grafana = compose.services.grafana;
    for (const p of providers) {
      expect(p.type).toBe('file');
      expect(grafana?.volumes).toContain(`./grafana/dashboards:${p.options.path}:ro`);
    }
    expect(grafana?.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
  });

  it('points datasources at compose services and gets every variable it uses from the environment', () => {
    for (const d of datasources) {
      const host = new URL(d.url).hostname;
      expect(Object.keys(compose.services), d.url).toContain(host);
      for (const value of Object.values(d.secureJsonData ?? {})) {
        for (const [, name] of value.matchAll(/\$\{(\w+)\}/g)) {
          expect(Object.keys(compose.services.grafana?.environment ?? {})).toContain(name);
        }
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const services = Object.keys(compose.services);

  it('has the ingest (from our Dockerfile), InfluxDB 2 and Grafana', () => {
    expect(services).toEqual(expect.arrayContaining(['ingest', 'influxdb', 'grafana']));
    const ingest = compose.services.ingest;
    expect(ingest?.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(existsSync(at(ingest?.build?.dockerfile ?? 'Dockerfile')), 'Dockerfile').toBe(true);
    expect(compose.services.influxdb?.image).toMatch(/^influxdb:2/);
    expect(compose.services.grafana?.image).toMatch(/^grafana\/grafana:/);
    // The default stack runs without profiles; the OTel extras are opt-in.
    for (const name of ['ingest', 'influxdb', 'grafana']) {
      expect(compose.services[name]?.profiles).toBeUndefined();
    }
  });

  it('references only services, volumes, networks and files it defines', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(services, `${name} depends on ${dep}`).toContain(dep);
      for (const net of s.networks ?? []) expect(Object.keys(compose.networks)).toContain(net);
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./'))
          expect(existsSync(at(source)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: ${source}`).toContain(source);
      }
      // A profile-less service must not depend on a profiled one (compose would refuse).
      if (s.profiles === undefined) {
        for (const dep of deps)
          expect(compose.services[dep]?.profiles, `${name} → ${dep}`).toBeUndefined();
      }
    }
  });

  it('needs only variables that .env.example documents (or that have defaults)', () => {
    const example = readFileSync(at('.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const text = readFileSync(at('docker-compose.yml'), 'utf8');
    for (const [, name, modifier] of text.matchAll(/\$\{(\w+)(:?[-?])?[^}]*\}/g)) {
      if (modifier?.endsWith('-')) continue;
      expect(documented.has(name), `${name} is required by docker-compose.yml`).toBe(true);
    }
  });

  it('gives the ingest only settings the ingest and its dashboard read', () => {
    const sources = ['src/ingest/options.ts', 'src/ingest/dashboard/config.ts']
      .map((f) => readFileSync(at(f), 'utf8'))
      .join('\n');
    for (const name of Object.keys(compose.services.ingest?.environment ?? {})) {
      expect(sources, name).toContain(`'${name}'`);
    }
  });

  it('wires the optional OTel profile: collector config, Prometheus scraping the collector', () => {
    const collector = compose.services['otel-collector'];
    const prometheus = compose.services.prometheus;
    expect(collector?.profiles).toEqual(['otel']);
    expect(prometheus?.profiles).toEqual(['otel']);
    const mount = collector?.volumes?.[0]?.split(':') ?? [];
    expect(collector?.command).toContain(`--config=${mount[1]}`);
    const promConfig = readYamlSubset(at('examples/otel-collector/prometheus.yml')) as unknown as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const target = promConfig.scrape_configs[0]?.static_configs[0]?.targets[0] ?? '';
    const collectorConfig = readYamlSubset(
      at('examples/otel-collector/config.yaml'),
    ) as unknown as {
      exporters: { prometheus: { endpoint: string } };
    };
    expect(target).toBe(
      `otel-collector:${collectorConfig.exporters.prometheus.endpoint.split(':')[1]}`,
    );
  });
});

describe('OpenTelemetry Collector config', () => {
  it('receives OTLP and exports to Prometheus and InfluxDB, with every component defined', () => {
    const c = readYamlSubset(at('examples/otel-collector/config.yaml')) as unknown as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint?: string; bucket?: string; org?: string }>;
      service: {
        pipelines: Record<
          string,
          { receivers: string[]; processors: string[]; exporters: string[] }
        >;
      };
    };
    const metrics = c.service.pipelines.metrics;
    expect(metrics?.receivers).toEqual(['otlp']);
    expect(metrics?.exporters).toEqual(['prometheus', 'influxdb']);
    for (const pipeline of Object.values(c.service.pipelines)) {
      for (const r of pipeline.receivers) expect(Object.keys(c.receivers)).toContain(r);
      for (const p of pipeline.processors) expect(Object.keys(c.processors)).toContain(p);
      for (const e of pipeline.exporters) expect(Object.keys(c.exporters)).toContain(e);
    }
    // The InfluxDB exporter writes where compose's InfluxDB is set up.
    const influx = compose.services.influxdb?.environment ?? {};
    expect(c.exporters.influxdb?.org).toBe(influx.DOCKER_INFLUXDB_INIT_ORG);
    expect(c.exporters.influxdb?.bucket).toBe(influx.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(new URL(c.exporters.influxdb?.endpoint ?? '').hostname).toBe('influxdb');
  });
});

describe('the YAML subset reader these checks rely on', () => {
  it('reads block and flow collections, quoting, comments and scalars', () => {
    const text = [
      '# head',
      'a: 1',
      'b: "x: #y"  # comment',
      "c: 'it''s'",
      'd: [1, "two", [3]]',
      'e: { k: v, n: 2 }',
      'f:',
      '  - plain',
      '  - key: value',
      '    other: true',
      'g:',
      '- at key indent',
      'h:',
      'i: ./a:/b:ro',
    ].join('\n');
    expect(parseYamlSubset(text)).toEqual({
      a: 1,
      b: 'x: #y',
      c: "it's",
      d: [1, 'two', [3]],
      e: { k: 'v', n: 2 },
      f: ['plain', { key: 'value', other: true }],
      g: ['at key indent'],
      h: null,
      i: './a:/b:ro',
    });
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => parseYamlSubset('a: &anchor 1')).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset('a: |\n  text')).toThrow(/line 1/);
    expect(() => parseYamlSubset('a: 1\na: 2')).toThrow(/duplicate key a/);
    expect(() => parseYamlSubset('a:\n    b: 1\n  c: 2')).toThrow(/line 3/);
    expect(() => parseYamlSubset('a: [1, 2')).toThrow(/unclosed/);
    expect(() => parseYamlSubset('---\na: 1')).toThrow(/documents/);
  });
});

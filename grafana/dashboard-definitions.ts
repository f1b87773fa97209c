/**
 * The Grafana dashboards, as code: `npx tsx grafana/generate.ts` writes the JSON files in
 * grafana/dashboards/ from these definitions, and a test checks the committed files match, so
 * the queries Grafana runs are the ones the tests run against real backends.
 *
 * - InfluxQL: the eight panels of NetBird's reference dashboard, with the very queries the
 *   built-in dashboard runs (src/ingest/dashboard/influxql-queries.ts). InfluxDB 1.x, 2.x (v1
 *   compatibility API), 3.x.
 * - PromQL: the same questions for the OTel path (OTLP → collector → Prometheus, OTLP →
 *   VictoriaMetrics, or the Prometheus endpoint). Quantiles come from the histogram buckets;
 *   the connection total and its two stages are separate instruments, so no query has to
 *   filter a total out of a sum over stages.
 */
import { INFLUXQL_PANEL_QUERIES } from '../src/ingest/dashboard/influxql-queries.js';
import {
  CONNECTION_TYPE_ORDER,
  LOGIN_RESULT_ORDER,
  PANELS,
  type PanelId,
} from '../src/ingest/dashboard/panels.js';
import { INSTRUMENTS } from '../src/instrumentation/otel-recorder.js';

export const INFLUXQL_DATASOURCE = { type: 'influxdb', uid: 'netbird-influxql' } as const;
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'netbird-prometheus' } as const;

type Datasource = typeof INFLUXQL_DATASOURCE | typeof PROMETHEUS_DATASOURCE;
type Json = Record<string, unknown>;

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

const COLOR_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['ice_p2p', 'green'],
  ['ice_turn', 'yellow'],
  ['relay', 'blue'],
  ['success', 'green'],
  ['failure', 'red'],
];

function colorOverrides(names: readonly string[]): Json[] {
  return COLOR_OVERRIDES.filter(([name]) => names.includes(name)).map(([name, color]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  }));
}

const reduceLast = { calcs: ['lastNotNull'], fields: '', values: false };

/** The fields every panel has; the `*Panel` functions below add the visualisation. */
function panel(
  id: number,
  title: string,
  type: string,
  gridPos: GridPos,
  description: string,
  targets: Json[],
): Json {
  return { id, title, type, gridPos, description, targets };
}

function statPanel(p: Json, decimals = 1): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: { unit: 's', decimals, color: { mode: 'thresholds' }, thresholds: greenOnly },
      overrides: [],
    },
    options: {
      reduceOptions: reduceLast,
      textMode: 'value_and_name',
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'center',
      orientation: 'auto',
    },
  };
}

const greenOnly = { mode: 'absolute', steps: [{ color: 'green', value: null }] };

function pointsPanel(p: Json, groups: readonly string[] = []): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit: 's',
        color: { mode: 'palette-classic' },
        custom: { drawStyle: 'points', pointSize: 5, showPoints: 'always', lineWidth: 0 },
      },
      overrides: colorOverrides(groups),
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'single' },
    },
  };
}

function linesPanel(p: Json, groups: readonly string[] = []): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit: 's',
        color: { mode: 'palette-classic' },
        custom: { drawStyle: 'line', lineWidth: 2, showPoints: 'auto', spanNulls: true },
      },
      overrides: colorOverrides(groups),
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi' },
    },
  };
}

function donutPanel(p: Json, labels: readonly string[]): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: { unit: 'short', color: { mode: 'palette-classic' } },
      overrides: colorOverrides(labels),
    },
    options: {
      pieType: 'donut',
      reduceOptions: reduceLast,
      legend: {
        displayMode: 'table',
        placement: 'right',
        showLegend: true,
        values: ['value', 'percent'],
      },
      tooltip: { mode: 'single' },
    },
  };
}

function barGaugePanel(p: Json): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit: 's',
        decimals: 2,
        min: 0,
        color: { mode: 'continuous-GrYlRd' },
        thresholds: greenOnly,
      },
      overrides: [],
    },
    options: {
      displayMode: 'gradient',
      orientation: 'horizontal',
      reduceOptions: reduceLast,
      showUnfilled: true,
      valueMode: 'color',
      namePlacement: 'top',
    },
  };
}

function influxTargets(id: PanelId, alias: string): Json[] {
  return INFLUXQL_PANEL_QUERIES[id].map((query, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: INFLUXQL_DATASOURCE,
    query,
    rawQuery: true,
    resultFormat: 'time_series',
    alias,
  }));
}

function titleOf(id: PanelId): string {
  return PANELS.find((p) => p.id === id)?.title ?? id;
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  panels: Json[],
  extra: Json = {},
): Json {
  return {
    uid,
    title,
    description,
    tags: ['netbird'],
    timezone: 'browser',
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-6h', to: 'now' },
    annotations: { list: [] },
    templating: { list: [] },
    links: [],
    ...extra,
    panels: panels.map((p) => ({ datasource: datasourceOf(p), ...p })),
  };
}

function datasourceOf(panel: Json): Datasource {
  const targets = panel.targets as Array<{ datasource: Datasource }>;
  const first = targets[0];
  if (first === undefined) throw new Error(`panel ${String(panel.title)} has no targets`);
  return first.datasource;
}

export function influxqlDashboard(): Json {
  const influxPanel = (
    id: PanelId,
    n: number,
    type: string,
    gridPos: GridPos,
    description: string,
    alias: string,
  ) => panel(n, titleOf(id), type, gridPos, description, influxTargets(id, alias));
  return dashboard(
    'netbird-influxql-metrics',
    'NetBird Client Metrics (InfluxQL)',
    'Timestamped NetBird client samples pushed through the ingest into InfluxDB. Every point is one event.',
    [
      statPanel(
        influxPanel(
          'sync-duration-extremes',
          1,
          'stat',
          { x: 0, y: 0, w: 6, h: 5 },
          'Fastest and slowest management sync in the range',
          '$col',
        ),
      ),
      statPanel(
        influxPanel(
          'total-connection-time-extremes',
          2,
          'stat',
          { x: 6, y: 0, w: 6, h: 5 },
          'Shortest and longest time from first signal to first WireGuard handshake',
          '$col',
        ),
      ),
      donutPanel(
        influxPanel(
          'ice-vs-relay',
          3,
          'piechart',
          { x: 12, y: 0, w: 6, h: 10 },
          'Connection type of the last connection of each peer pair (connection_pair_id): reconnections and the two ends of a pair count once',
          '$col',
        ),
        CONNECTION_TYPE_ORDER,
      ),
      donutPanel(
        influxPanel(
          'login-success-vs-failure',
          4,
          'piechart',
          { x: 18, y: 0, w: 6, h: 10 },
          'Login attempts by result',
          '$tag_result',
        ),
        LOGIN_RESULT_ORDER,
      ),
      barGaugePanel(
        influxPanel(
          'connection-stage-durations',
          5,
          'bargauge',
          { x: 0, y: 5, w: 12, h: 5 },
          'Mean time of each connection stage',
          '$col',
        ),
      ),
      pointsPanel(
        influxPanel(
          'sync-duration',
          6,
          'timeseries',
          { x: 0, y: 10, w: 12, h: 9 },
          'Every management sync, one point each',
          'sync',
        ),
      ),
      pointsPanel(
        influxPanel(
          'total-connection-time',
          7,
          'timeseries',
          { x: 12, y: 10, w: 12, h: 9 },
          'Every connection attempt, one point each',
          'total',
        ),
      ),
      pointsPanel(
        influxPanel(
          'login-duration',
          8,
          'timeseries',
          { x: 0, y: 19, w: 24, h: 8 },
          'Every login attempt, by result',
          '$tag_result',
        ),
        LOGIN_RESULT_ORDER,
      ),
    ],
  );
}

/**
 * Metric names differ by path: NetBird's Prometheus endpoint writes `netbird_sync_duration`,
 * an OTel collector's Prometheus exporter and VictoriaMetrics with
 * `-opentelemetry.usePrometheusNaming` add the unit (`netbird_sync_duration_seconds`), and
 * VictoriaMetrics' default OTLP ingestion keeps the dots (`netbird.sync.duration`). One
 * selector matches all three, so the dashboard works on every path.
 */
export function promSelector(
  instrument: string,
  suffix: 'bucket' | 'count' | 'sum',
  matchers = '',
): string {
  const name = instrument.split('.').join('[._]');
  return `{__name__=~"${name}(_seconds)?_${suffix}"${matchers ? `, ${matchers}` : ''}}`;
}

const SYNC = INSTRUMENTS.sync;
const CONN = INSTRUMENTS.connection;
const STAGE = INSTRUMENTS.connectionStage;
const LOGIN = INSTRUMENTS.login;
const PHASE = INSTRUMENTS.syncPhase;

function promTarget(refId: string, expr: string, legendFormat: string, instant: boolean): Json {
  return {
    refId,
    datasource: PROMETHEUS_DATASOURCE,
    expr,
    legendFormat,
    instant,
    range: !instant,
    editorMode: 'code',
  };
}

const quantile = (q: number, by: string, selector: string) =>
  `histogram_quantile(${q}, sum by (${by}) (${selector}))`;
const rateQuantile = (q: number, by: string, selector: string) =>
  `histogram_quantile(${q}, sum by (${by}) (rate(${selector}[$__rate_interval])))`;

/** One target per quantile, refIds A, B, … and legends p50, p95, …, as the quantile panels show. */
function quantileTargets(
  qs: readonly number[],
  expr: (q: number) => string,
  instant: boolean,
): Json[] {
  return qs.map((q, i) =>
    promTarget(String.fromCharCode(65 + i), expr(q), `p${Math.round(q * 100)}`, instant),
  );
}

export function promqlDashboard(): Json {
  return dashboard(
    'netbird-promql-metrics',
    'NetBird Client Metrics (PromQL)',
    'NetBird client histograms from the OTel path (OTLP or the Prometheus endpoint). Most panels cover everything the currently reporting clients recorded since they started (cumulative histograms), because logins and connections are sparse one-shot events that rate() windows lose; only the recurring sync duration is shown per rate interval. ICE vs Relay counts connection attempts: connection_pair_id is not an OTel attribute by default, so pairs are not deduplicated here (the InfluxQL dashboard does that).',
    [
      statPanel(
        panel(
          1,
          'Sync Duration Quantiles',
          'stat',
          { x: 0, y: 0, w: 6, h: 5 },
          'p50, p95 and p99 of management sync time, from the buckets',
          quantileTargets(
            [0.5, 0.95, 0.99],
            (q) => quantile(q, 'le', promSelector(SYNC, 'bucket')),
            true,
          ),
        ),
        2,
      ),
      statPanel(
        panel(
          2,
          'Total Connection Time Quantiles',
          'stat',
          { x: 6, y: 0, w: 6, h: 5 },
          'p50, p95 and p99 from first signal to first WireGuard handshake',
          quantileTargets(
            [0.5, 0.95, 0.99],
            (q) => quantile(q, 'le', promSelector(CONN, 'bucket')),
            true,
          ),
        ),
        2,
      ),
      donutPanel(
        panel(
          3,
          'ICE vs Relay (attempts)',
          'piechart',
          { x: 12, y: 0, w: 6, h: 10 },
          'Connection attempts by connection type (not deduplicated by peer pair)',
          [
            promTarget(
              'A',
              `sum by (connection_type) (${promSelector(CONN, 'count')})`,
              '{{connection_type}}',
              true,
            ),
          ],
        ),
        CONNECTION_TYPE_ORDER,
      ),
      donutPanel(
        panel(
          4,
          'Login Success vs Failure',
          'piechart',
          { x: 18, y: 0, w: 6, h: 10 },
          'Login attempts by result',
          [
            promTarget(
              'A',
              `sum by (result) (${promSelector(LOGIN, 'count')})`,
              '{{result}}',
              true,
            ),
          ],
        ),
        LOGIN_RESULT_ORDER,
      ),
      barGaugePanel(
        panel(
          5,
          'Connection Stage Durations (avg)',
          'bargauge',
          { x: 0, y: 5, w: 12, h: 5 },
          'Mean time of each connection stage: histogram sum / count',
          [
            promTarget(
              'A',
              `sum by (stage) (${promSelector(STAGE, 'sum')}) / sum by (stage) (${promSelector(STAGE, 'count')})`,
              '{{stage}}',
              true,
            ),
          ],
        ),
      ),
      linesPanel(
        panel(
          6,
          'Sync Duration (p50, p95)',
          'timeseries',
          { x: 0, y: 10, w: 12, h: 9 },
          'Quantiles of sync time per rate interval (syncs recur, so rates work here)',
          quantileTargets(
            [0.5, 0.95],
            (q) => rateQuantile(q, 'le', promSelector(SYNC, 'bucket')),
            false,
          ),
        ),
      ),
      linesPanel(
        panel(
          7,
          'Total Connection Time p95 by Type',
          'timeseries',
          { x: 12, y: 10, w: 12, h: 9 },
          'p95 of first signal to first handshake over everything the reporting clients recorded since they started, by connection type. Cumulative, not per rate interval: most connections happen right after a client starts, and rate() loses the first observations of a new series.',
          [
            promTarget(
              'A',
              quantile(0.95, 'le, connection_type', promSelector(CONN, 'bucket')),
              '{{connection_type}}',
              false,
            ),
          ],
        ),
        CONNECTION_TYPE_ORDER,
      ),
      linesPanel(
        panel(
          8,
          'Login Duration p95 by Result',
          'timeseries',
          { x: 0, y: 19, w: 12, h: 8 },
          'p95 of login time over everything the reporting clients recorded since they started, by result. Cumulative: a client logs in about once per start, a one-shot event that rate() windows miss.',
          [
            promTarget(
              'A',
              quantile(0.95, 'le, result', promSelector(LOGIN, 'bucket')),
              '{{result}}',
              false,
            ),
          ],
        ),
        LOGIN_RESULT_ORDER,
      ),
      barGaugePanel(
        panel(
          9,
          'Sync Phases p95',
          'bargauge',
          { x: 12, y: 19, w: 12, h: 8 },
          'Where sync time goes: p95 of each sync phase',
          [
            promTarget(
              'A',
              `sort_desc(${quantile(0.95, 'le, phase', promSelector(PHASE, 'bucket'))})`,
              '{{phase}}',
              true,
            ),
          ],
        ),
      ),
    ],
    {
      templating: {
        list: [
          // Grafana adds these label filters to every query (e.g. instance, service_name, version).
          { name: 'filter', label: 'Filters', type: 'adhoc', datasource: PROMETHEUS_DATASOURCE },
        ],
      },
    },
  );
}

export const DASHBOARD_FILES = {
  'netbird-influxql.json': influxqlDashboard,
  'netbird-promql.json': promqlDashboard,
} as const;

export function renderDashboardFile(build: () => Json): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}

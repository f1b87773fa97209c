// The Grafana dashboards, as code: `npx tsx grafana/generate.ts` writes the JSON files in
// grafana/dashboards/ from these definitions, and a test checks the committed files match, so
// the queries Grafana runs are the ones the tests run against real backends.
//
// - InfluxQL: the eight panels of NetBird's reference dashboard, with the very queries the
//   built-in dashboard runs (src/ingest/dashboard/influxql-queries.ts) narrowed by the template
//   variables, then percentiles, breakdowns and heatmaps. InfluxDB 1.x, 2.x (v1 compatibility
//   API), 3.x.
// - PromQL: the same questions for the OTel path (OTLP → collector → Prometheus, OTLP →
//   VictoriaMetrics, or the Prometheus endpoint). Quantiles come from the histogram buckets;
//   the connection total and its two stages are separate instruments, so no query has to
//   filter a total out of a sum over stages.
// - Sync phases, in both languages (grafana/sync-phases.ts).
import { INFLUXQL_PANEL_QUERIES } from '../src/ingest/dashboard/influxql-queries.js';
import {
  CONNECTION_TYPE_ORDER,
  LOGIN_RESULT_ORDER,
  PANELS,
  type PanelId,
} from '../src/ingest/dashboard/panels.js';
import { INSTRUMENTS } from '../src/instrumentation/otel-recorder.js';
import { MEASUREMENT_NAMES, type MeasurementName } from '../src/protocol/schema.js';
import * as influx from './influxql-panels.js';
import { INFLUXQL_DATASOURCE } from './influxql-panels.js';
import {
  barGaugePanel,
  categoryColours,
  donutPanel,
  type GridPos,
  type Json,
  linesPanel,
  panel,
  pointsPanel,
  statPanel,
} from './panel-kit.js';
import * as prom from './promql-panels.js';
import { filtered, PROMETHEUS_DATASOURCE, promSelectorOf, promTarget } from './promql-panels.js';
import { syncPhasesInfluxql, syncPhasesPromql } from './sync-phases.js';
import { influxFilter, influxVariables, promVariables } from './variables.js';

export { INFLUXQL_DATASOURCE } from './influxql-panels.js';
export { PROMETHEUS_DATASOURCE, promSelector } from './promql-panels.js';

type Datasource = typeof INFLUXQL_DATASOURCE | typeof PROMETHEUS_DATASOURCE;
/** Where the first `FROM "netbird_…"` of a query reads (a subquery's, for ICE vs Relay). */
function measurementOf(query: string): MeasurementName {
  const m = /FROM "(netbird_\w+)"/.exec(query)?.[1];
  const name = MEASUREMENT_NAMES.find((n) => n === m);
  if (name === undefined) throw new Error(`no NetBird measurement in ${query}`);
  return name;
}

/** A built-in dashboard query narrowed by the template variables (all of them: the same). */
export function withVariableFilters(query: string): string {
  return query.split('$timeFilter').join(`$timeFilter${influxFilter(measurementOf(query))}`);
}

function influxTargets(id: PanelId, alias: string): Json[] {
  return INFLUXQL_PANEL_QUERIES[id].map((query, i) =>
    influx.influxTarget(i, withVariableFilters(query), alias),
  );
}

function titleOf(id: PanelId): string {
  return PANELS.find((p) => p.id === id)?.title ?? id;
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  panels: Json[],
  templating: Json[],
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
    templating: { list: templating },
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

/** Four panels side by side, then four more (two per row) below them. */
function percentilePanels<Q>(
  quantities: readonly Q[],
  stat: (q: Q, id: number, g: GridPos) => Json,
  lines: (q: Q, id: number, g: GridPos) => Json,
  y: number,
  firstId: number,
): Json[] {
  return [
    ...quantities.map((q, i) => stat(q, firstId + i, { x: 6 * i, y, w: 6, h: 6 })),
    ...quantities.map((q, i) =>
      lines(q, firstId + quantities.length + i, {
        x: 12 * (i % 2),
        y: y + 6 + 8 * Math.floor(i / 2),
        w: 12,
        h: 8,
      }),
    ),
  ];
}

/** Rows of the panels after NetBird's eight: percentiles, breakdowns, heatmaps. */
const Y = { percentiles: 27, breakdowns: 49, heatmaps: 57 } as const;

function influxReferencePanels(): Json[] {
  const ref = (
    id: PanelId,
    n: number,
    type: string,
    gridPos: GridPos,
    description: string,
    alias: string,
  ) => panel(n, titleOf(id), type, gridPos, description, influxTargets(id, alias));
  return [
    statPanel(
      ref(
        'sync-duration-extremes',
        1,
        'stat',
        { x: 0, y: 0, w: 6, h: 5 },
        'Fastest and slowest management sync in the range',
        '$col',
      ),
      'sync',
    ),
    statPanel(
      ref(
        'total-connection-time-extremes',
        2,
        'stat',
        { x: 6, y: 0, w: 6, h: 5 },
        'Shortest and longest time from first signal to first WireGuard handshake',
        '$col',
      ),
      'connection',
    ),
    donutPanel(
      ref(
        'ice-vs-relay',
        3,
        'piechart',
        { x: 12, y: 0, w: 6, h: 10 },
        'Connection type of the last connection of each peer pair (connection_pair_id): reconnections and the two ends of a pair count once',
        '$col',
      ),
      categoryColours(CONNECTION_TYPE_ORDER),
    ),
    donutPanel(
      ref(
        'login-success-vs-failure',
        4,
        'piechart',
        { x: 18, y: 0, w: 6, h: 10 },
        'Login attempts by result',
        '$tag_result',
      ),
      categoryColours(LOGIN_RESULT_ORDER),
    ),
    barGaugePanel(
      ref(
        'connection-stage-durations',
        5,
        'bargauge',
        { x: 0, y: 5, w: 12, h: 5 },
        'Mean time of each connection stage',
        '$col',
      ),
      'connection',
    ),
    pointsPanel(
      ref(
        'sync-duration',
        6,
        'timeseries',
        { x: 0, y: 10, w: 12, h: 9 },
        'Every management sync, one point each',
        'sync',
      ),
      'sync',
    ),
    pointsPanel(
      ref(
        'total-connection-time',
        7,
        'timeseries',
        { x: 12, y: 10, w: 12, h: 9 },
        'Every connection attempt, one point each',
        'total',
      ),
      'connection',
    ),
    pointsPanel(
      ref(
        'login-duration',
        8,
        'timeseries',
        { x: 0, y: 19, w: 24, h: 8 },
        'Every login attempt, by result',
        '$tag_result',
      ),
      'login',
      categoryColours(LOGIN_RESULT_ORDER),
    ),
  ];
}

export function influxqlDashboard(): Json {
  const n = influx.INFLUX_QUANTITIES.length;
  return dashboard(
    'netbird-influxql-metrics',
    'NetBird Client Metrics (InfluxQL)',
    'Timestamped NetBird client samples pushed through the ingest into InfluxDB. Every point is one event. The variables narrow every panel whose measurement has that tag (connection type and attempt type: the connection panels only). Percentiles are InfluxQL PERCENTILE (nearest rank).',
    [
      ...influxReferencePanels(),
      ...percentilePanels(
        influx.INFLUX_QUANTITIES,
        influx.percentileStat,
        influx.percentileLines,
        Y.percentiles,
        9,
      ),
      ...influx.breakdownPanels(Y.breakdowns, 9 + 2 * n),
      ...influx.heatmapPanels(Y.heatmaps, 13 + 2 * n),
    ],
    influxVariables(INFLUXQL_DATASOURCE),
  );
}

const CONN = INSTRUMENTS.connection;
const STAGE = INSTRUMENTS.connectionStage;
const LOGIN = INSTRUMENTS.login;
const PHASE = INSTRUMENTS.syncPhase;
const CONN_M = 'netbird_peer_connection';

/** Counts by transport and by login result. */
function promCountPanels(): Json[] {
  return [
    donutPanel(
      panel(
        1,
        'ICE vs Relay (attempts)',
        'piechart',
        { x: 0, y: 0, w: 6, h: 10 },
        'Connection attempts by connection type (not deduplicated by peer pair)',
        [
          promTarget(
            'A',
            `topk(${prom.TOP_K}, sum by (connection_type) (${filtered(CONN, CONN_M, 'count')}))`,
            '{{connection_type}}',
            true,
          ),
        ],
      ),
      categoryColours(CONNECTION_TYPE_ORDER),
    ),
    donutPanel(
      panel(
        2,
        'Login Success vs Failure',
        'piechart',
        { x: 6, y: 0, w: 6, h: 10 },
        'Login attempts by result',
        [
          promTarget(
            'A',
            `sum by (result) (${filtered(LOGIN, 'netbird_login', 'count')})`,
            '{{result}}',
            true,
          ),
        ],
      ),
      categoryColours(LOGIN_RESULT_ORDER),
    ),
  ];
}

function promReferencePanels(): Json[] {
  return [
    ...promCountPanels(),
    barGaugePanel(
      panel(
        3,
        'Connection Stage Durations (avg)',
        'bargauge',
        { x: 12, y: 0, w: 12, h: 5 },
        'Mean time of each connection stage: histogram sum / count',
        [
          promTarget(
            'A',
            `sum by (stage) (${filtered(STAGE, CONN_M, 'sum')}) / sum by (stage) (${filtered(STAGE, CONN_M, 'count')})`,
            '{{stage}}',
            true,
          ),
        ],
      ),
      'connection',
    ),
    barGaugePanel(
      panel(
        4,
        'Sync Phases p95',
        'bargauge',
        { x: 12, y: 5, w: 12, h: 5 },
        'Where sync time goes: p95 of each sync phase, histogram_quantile over the buckets (interpolated within a bucket); the sync phases dashboard has more',
        [
          promTarget(
            'A',
            `sort_desc(topk(20, histogram_quantile(0.95, sum by (le, phase) (${filtered(PHASE, 'netbird_sync_phase', 'bucket')}))))`,
            '{{phase}}',
            true,
          ),
        ],
      ),
      'syncPhase',
    ),
    linesPanel(
      panel(
        5,
        'Total Connection Time p95 by Type',
        'timeseries',
        { x: 0, y: 10, w: 12, h: 9 },
        `p95 of first signal to first handshake over everything the reporting clients recorded since they started, by connection type (${prom.TOP_K} at most). Cumulative, not per rate interval: most connections happen right after a client starts, and rate() loses the first observations of a new series. histogram_quantile over the buckets: interpolated within a bucket.`,
        [
          promTarget(
            'A',
            `topk(${prom.TOP_K}, histogram_quantile(0.95, sum by (le, connection_type) (${filtered(CONN, CONN_M, 'bucket')})))`,
            '{{connection_type}}',
            false,
          ),
        ],
      ),
      'connection',
      's',
      categoryColours(CONNECTION_TYPE_ORDER),
    ),
    linesPanel(
      panel(
        6,
        'Login Duration p95 by Result',
        'timeseries',
        { x: 12, y: 10, w: 12, h: 9 },
        'p95 of login time over everything the reporting clients recorded since they started, by result. Cumulative: a client logs in about once per start, a one-shot event that rate() windows miss. histogram_quantile over the buckets: interpolated within a bucket.',
        [
          promTarget(
            'A',
            `histogram_quantile(0.95, sum by (le, result) (${filtered(LOGIN, 'netbird_login', 'bucket')}))`,
            '{{result}}',
            false,
          ),
        ],
      ),
      'login',
      's',
      categoryColours(LOGIN_RESULT_ORDER),
    ),
  ];
}

export function promqlDashboard(): Json {
  const n = prom.PROM_QUANTITIES.length;
  return dashboard(
    'netbird-promql-metrics',
    'NetBird Client Metrics (PromQL)',
    'NetBird client histograms from the OTel path (OTLP or the Prometheus endpoint). Most panels cover everything the currently reporting clients recorded since they started (cumulative histograms), because logins and connections are sparse one-shot events that rate() windows lose; only the recurring sync duration and the heatmaps are shown per rate interval. Percentiles are histogram_quantile over the buckets (interpolated within a bucket). ICE vs Relay counts connection attempts: connection_pair_id is not an OTel attribute by default, so pairs are not deduplicated here (the InfluxQL dashboard does that). The variables narrow every panel whose instrument has that attribute.',
    [
      ...promReferencePanels(),
      ...percentilePanels(prom.PROM_QUANTITIES, prom.percentileStat, prom.percentileLines, 19, 7),
      ...prom.breakdownPanels(19 + 22, 7 + 2 * n),
      ...prom.heatmapPanels(19 + 30, 11 + 2 * n),
    ],
    [
      ...promVariables(PROMETHEUS_DATASOURCE, promSelectorOf),
      // Grafana adds these label filters to every query (e.g. instance, service_name).
      { name: 'filter', label: 'Filters', type: 'adhoc', datasource: PROMETHEUS_DATASOURCE },
    ],
  );
}

const phaseFrame =
  (uid: string, title: string, description: string, extra: Json) =>
  (panels: Json[], templating: Json[]) =>
    dashboard(uid, title, description, panels, templating, extra);

const PHASES_RANGE = { time: { from: 'now-2d', to: 'now' } };

export function syncPhasesInfluxqlDashboard(): Json {
  return syncPhasesInfluxql(
    phaseFrame(
      'netbird-sync-phases-influxql',
      'NetBird Sync Phases (where time goes, InfluxQL)',
      'The phases of a management sync from the timestamped samples in InfluxDB: where the sync time goes, by phase and client version. Percentiles are InfluxQL PERCENTILE (nearest rank).',
      PHASES_RANGE,
    ),
  );
}

export function syncPhasesPromqlDashboard(): Json {
  return syncPhasesPromql(
    phaseFrame(
      'netbird-sync-phases-promql',
      'NetBird Sync Phases (where time goes, PromQL)',
      'The phases of a management sync from the OTel histogram netbird.sync.phase.duration: where the sync time goes, by phase and client version. Percentiles are histogram_quantile over the buckets (interpolated within a bucket).',
      PHASES_RANGE,
    ),
  );
}

export const DASHBOARD_FILES = {
  'netbird-influxql.json': influxqlDashboard,
  'netbird-promql.json': promqlDashboard,
  'netbird-sync-phases-influxql.json': syncPhasesInfluxqlDashboard,
  'netbird-sync-phases-promql.json': syncPhasesPromqlDashboard,
} as const;

export function renderDashboardFile(build: () => Json): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}

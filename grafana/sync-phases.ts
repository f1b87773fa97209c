// "Sync Phases (where time goes)": the phases of a management sync, by far the most frequent
// samples, for InfluxQL and for PromQL. Time per phase over time, p50/p95/p99 per phase, a
// mean/p95/max table, each phase's share of the time, and the whole sync for reference, with a
// version filter. Phases are an open vocabulary (a newer client may add one), so every per-phase
// answer is bounded.
import { INSTRUMENTS } from '../src/instrumentation/otel-recorder.js';
import { INFLUXQL_DATASOURCE, influxTarget, PERCENTILES } from './influxql-panels.js';
import {
  barGaugePanel,
  donutPanel,
  type Json,
  linesPanel,
  panel,
  refId,
  tablePanel,
} from './panel-kit.js';
import {
  filtered,
  PROMETHEUS_DATASOURCE,
  promSelectorOf,
  promTarget,
  QUANTILES,
} from './promql-panels.js';
import { type FilterTag, influxFilter, influxVariables, promVariables } from './variables.js';

/** Phases shown at most (NetBird's clients have 14). */
export const MAX_PHASES = 20;
/** Versions shown at most in the reference panel. */
export const MAX_VERSIONS = 10;
const TAGS: readonly FilterTag[] = ['version'];

const PHASE = 'netbird_sync_phase';
const SYNC = 'netbird_sync';
const influxWhere = (m: typeof PHASE | typeof SYNC) => `WHERE $timeFilter${influxFilter(m, TAGS)}`;

const NEAREST_RANK = "InfluxQL's PERCENTILE: nearest rank, an observed value";
const INTERPOLATED =
  'histogram_quantile over the buckets: interpolated inside the bucket holding the rank, an estimate within its bounds';

export function syncPhasesInfluxql(frame: (panels: Json[], templating: Json[]) => Json): Json {
  return frame(influxPhasePanels(), influxVariables(INFLUXQL_DATASOURCE, TAGS));
}

const byPhase = `GROUP BY "phase" SLIMIT ${MAX_PHASES}`;

function influxPhasePanels(): Json[] {
  return [
    linesPanel(
      panel(
        1,
        'Time per Phase',
        'timeseries',
        { x: 0, y: 0, w: 24, h: 9 },
        'Seconds spent in each phase per interval, all clients together, stacked: the stack is the sync time the phases account for.',
        [
          influxTarget(
            0,
            `SELECT sum("duration_seconds") AS "time_spent" FROM "${PHASE}" ${influxWhere(PHASE)} GROUP BY time($__interval), "phase" fill(0) SLIMIT ${MAX_PHASES}`,
            '$tag_phase',
          ),
        ],
      ),
      'neutral',
      's',
      [],
      true,
    ),
    barGaugePanel(
      panel(
        2,
        'Phase p50 / p95 / p99',
        'bargauge',
        { x: 0, y: 9, w: 12, h: 12 },
        `p50, p95 and p99 of each phase over the range (${NEAREST_RANK}).`,
        [
          influxTarget(
            0,
            `SELECT ${PERCENTILES.map((p) => `percentile("duration_seconds", ${p}) AS "p${p}"`).join(', ')} FROM "${PHASE}" ${influxWhere(PHASE)} ${byPhase}`,
            '$tag_phase $col',
          ),
        ],
      ),
      'syncPhase',
    ),
    tablePanel(
      panel(
        3,
        'Phase Mean / p95 / Max',
        'table',
        { x: 12, y: 9, w: 12, h: 12 },
        `Mean, p95 and maximum of each phase over the range, with the number of samples (${NEAREST_RANK}).`,
        [
          influxTarget(
            0,
            `SELECT mean("duration_seconds") AS "mean", percentile("duration_seconds", 95) AS "p95", max("duration_seconds") AS "max", count("duration_seconds") AS "count" FROM "${PHASE}" ${influxWhere(PHASE)} ${byPhase}`,
            '',
            'table',
          ),
        ],
      ),
      'syncPhase',
    ),
    donutPanel(
      panel(
        4,
        'Share of Sync Time per Phase',
        'piechart',
        { x: 0, y: 21, w: 12, h: 10 },
        'Seconds spent in each phase over the range; the percentages are each phase’s share of the time all phases took.',
        [
          influxTarget(
            0,
            `SELECT sum("duration_seconds") AS "time_spent" FROM "${PHASE}" ${influxWhere(PHASE)} ${byPhase}`,
            '$tag_phase',
          ),
        ],
      ),
      [],
      's',
    ),
    linesPanel(
      panel(
        5,
        'Sync Duration by Version (reference)',
        'timeseries',
        { x: 12, y: 21, w: 12, h: 10 },
        `The whole sync, mean and p95 per interval and version (${MAX_VERSIONS} versions at most; ${NEAREST_RANK}).`,
        [
          influxTarget(
            0,
            `SELECT mean("duration_seconds") AS "mean", percentile("duration_seconds", 95) AS "p95" FROM "${SYNC}" ${influxWhere(SYNC)} GROUP BY time($__interval), "version" fill(none) SLIMIT ${MAX_VERSIONS}`,
            '$tag_version $col',
          ),
        ],
      ),
      'sync',
    ),
  ];
}

const PH = INSTRUMENTS.syncPhase;
const phaseSel = (suffix: 'bucket' | 'count' | 'sum', extra = '') =>
  filtered(PH, PHASE, suffix, extra, TAGS);
const perPhase = (expr: string) => `topk(${MAX_PHASES}, ${expr})`;
const phaseQuantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le, phase) (${phaseSel('bucket')}))`;

export function syncPhasesPromql(frame: (panels: Json[], templating: Json[]) => Json): Json {
  return frame(promPhasePanels(), [
    ...promVariables(PROMETHEUS_DATASOURCE, promSelectorOf, TAGS),
    // Grafana adds these label filters to every query (e.g. instance, service_name).
    { name: 'filter', label: 'Filters', type: 'adhoc', datasource: PROMETHEUS_DATASOURCE },
  ]);
}

function promPhasePanels(): Json[] {
  return [
    linesPanel(
      panel(
        1,
        'Time per Phase',
        'timeseries',
        { x: 0, y: 0, w: 24, h: 9 },
        'Seconds spent in each phase per rate interval, all clients together, stacked: increase() of the histogram sums.',
        [
          promTarget(
            'A',
            perPhase(`sum by (phase) (increase(${phaseSel('sum')}[$__rate_interval]))`),
            '{{phase}}',
            false,
          ),
        ],
      ),
      'neutral',
      's',
      [],
      true,
    ),
    barGaugePanel(
      panel(
        2,
        'Phase p50 / p95 / p99',
        'bargauge',
        { x: 0, y: 9, w: 12, h: 12 },
        `p50, p95 and p99 of each phase over everything the reporting clients recorded since they started (${INTERPOLATED}).`,
        QUANTILES.map((q, i) =>
          promTarget(
            refId(i),
            `sort_desc(${perPhase(phaseQuantile(q))})`,
            `{{phase}} p${Math.round(q * 100)}`,
            true,
          ),
        ),
      ),
      'syncPhase',
    ),
    promPhaseTable(),
    donutPanel(
      panel(
        4,
        'Share of Sync Time per Phase',
        'piechart',
        { x: 0, y: 21, w: 12, h: 10 },
        'Each phase’s share of the time all phases took (histogram sums), over everything recorded since the clients started.',
        [
          promTarget(
            'A',
            perPhase(`sum by (phase) (${phaseSel('sum')}) / scalar(sum(${phaseSel('sum')}))`),
            '{{phase}}',
            true,
          ),
        ],
      ),
      [],
      'percentunit',
    ),
    linesPanel(
      panel(
        5,
        'Sync Duration by Version (reference)',
        'timeseries',
        { x: 12, y: 21, w: 12, h: 10 },
        `The whole sync, p95 per rate interval and version (${MAX_VERSIONS} versions at most; ${INTERPOLATED}).`,
        [
          promTarget(
            'A',
            `topk(${MAX_VERSIONS}, histogram_quantile(0.95, sum by (le, version) (rate(${filtered(INSTRUMENTS.sync, SYNC, 'bucket', '', TAGS)}[$__rate_interval]))))`,
            '{{version}} p95',
            false,
          ),
        ],
      ),
      'sync',
    ),
  ];
}

const phaseTableTarget = (refIdOf: string, expr: string) =>
  promTarget(refIdOf, perPhase(expr), '{{phase}}', true, 'table');

/** The four per-phase answers merged into one row per phase. */
function promPhaseTable(): Json {
  return tablePanel(
    panel(
      3,
      'Phase Mean / p95 / Max',
      'table',
      { x: 12, y: 9, w: 12, h: 12 },
      `Per phase: mean (sum / count), p95 (${INTERPOLATED}), max as the upper bound of the highest occupied bucket (histograms keep no maximum) and count, over everything recorded since the clients started.`,
      [
        phaseTableTarget(
          'A',
          `sum by (phase) (${phaseSel('sum')}) / sum by (phase) (${phaseSel('count')})`,
        ),
        phaseTableTarget('B', phaseQuantile(0.95)),
        phaseTableTarget('C', phaseQuantile(1)),
        phaseTableTarget('D', `sum by (phase) (${phaseSel('count')})`),
      ],
    ),
    'syncPhase',
    [
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: {
            'Value #A': 'mean',
            'Value #B': 'p95',
            'Value #C': 'max (bucket bound)',
            'Value #D': 'count',
          },
        },
      },
    ],
  );
}

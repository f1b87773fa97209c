// The InfluxQL dashboard's panels beyond NetBird's eight: percentiles, breakdowns by tag and
// latency heatmaps. Every query filters by the template variables that apply to its measurement,
// and every answer is bounded (aggregates, `top`, `SLIMIT`, one row per `$__interval`).
//
// InfluxQL's PERCENTILE is nearest rank: the sorted values' element at floor(n·p/100 + 0.5),
// counted from 1, an observed value and never an interpolation.
import type { MeasurementName } from '../src/protocol/schema.js';
import {
  barGaugePanel,
  donutPanel,
  type GridPos,
  heatmapPanel,
  type Json,
  linesPanel,
  panel,
  refId,
  statPanel,
  type ThresholdKind,
} from './panel-kit.js';
import { influxFilter } from './variables.js';

export const INFLUXQL_DATASOURCE = { type: 'influxdb', uid: 'netbird-influxql' } as const;

/** Groups a breakdown panel shows at most. */
export const TOP_N = 10;
export const PERCENTILES = [50, 95, 99] as const;

export interface InfluxQuantity {
  readonly title: string;
  readonly measurement: MeasurementName;
  /** Field and column prefix ('' for a quantity of one field). */
  readonly fields: ReadonlyArray<readonly [field: string, prefix: string]>;
  readonly kind: ThresholdKind;
  readonly what: string;
}

export const INFLUX_QUANTITIES: readonly InfluxQuantity[] = [
  {
    title: 'Total Connection Time',
    measurement: 'netbird_peer_connection',
    fields: [['total_seconds', '']],
    kind: 'connection',
    what: 'first signal to first WireGuard handshake',
  },
  {
    title: 'Connection Stages',
    measurement: 'netbird_peer_connection',
    fields: [
      ['signaling_to_connection_seconds', 'signaling_to_connection'],
      ['connection_to_wg_handshake_seconds', 'connection_to_wg_handshake'],
    ],
    kind: 'connection',
    what: 'each stage of a connection (a stage the client did not see is stored as 0 and counted)',
  },
  {
    title: 'Sync Duration',
    measurement: 'netbird_sync',
    fields: [['duration_seconds', '']],
    kind: 'sync',
    what: 'handling one management sync',
  },
  {
    title: 'Login Duration',
    measurement: 'netbird_login',
    fields: [['duration_seconds', '']],
    kind: 'login',
    what: 'one login attempt, failures included',
  },
];

const column = (prefix: string, name: string) => (prefix === '' ? name : `${prefix} ${name}`);

function percentileColumns(q: InfluxQuantity, withCount: boolean): string {
  return q.fields
    .flatMap(([field, prefix]) => [
      ...PERCENTILES.map((p) => `percentile("${field}", ${p}) AS "${column(prefix, `p${p}`)}"`),
      ...(withCount ? [`count("${field}") AS "${column(prefix, 'count')}"`] : []),
    ])
    .join(', ');
}

const where = (m: MeasurementName, extra = '') => `WHERE $timeFilter${influxFilter(m)}${extra}`;

/** One raw InfluxQL query of a panel, on the InfluxQL datasource. */
export function influxTarget(
  i: number,
  query: string,
  alias: string,
  format = 'time_series',
): Json {
  return {
    refId: refId(i),
    datasource: INFLUXQL_DATASOURCE,
    query,
    rawQuery: true,
    resultFormat: format,
    alias,
  };
}

const NEAREST_RANK = "InfluxQL's PERCENTILE: nearest rank, an observed value, not interpolated";

export function percentileStat(q: InfluxQuantity, id: number, gridPos: GridPos): Json {
  const query = `SELECT ${percentileColumns(q, true)} FROM "${q.measurement}" ${where(q.measurement)}`;
  return statPanel(
    panel(
      id,
      `${q.title} p50 / p95 / p99`,
      'stat',
      gridPos,
      `p50, p95, p99 and count of ${q.what}, over the whole range (${NEAREST_RANK}).`,
      [influxTarget(0, query, '$col')],
    ),
    q.kind,
  );
}

export function percentileLines(q: InfluxQuantity, id: number, gridPos: GridPos): Json {
  const query = `SELECT ${percentileColumns(q, false)} FROM "${q.measurement}" ${where(q.measurement)} GROUP BY time($__interval) fill(none)`;
  return linesPanel(
    panel(
      id,
      `${q.title} Percentiles over Time`,
      'timeseries',
      gridPos,
      `p50, p95 and p99 of ${q.what}, per interval (${NEAREST_RANK}).`,
      [influxTarget(0, query, '$col')],
    ),
    q.kind,
  );
}

const CONN: MeasurementName = 'netbird_peer_connection';
const LOGIN: MeasurementName = 'netbird_login';

/** The `TOP_N` groups of `tag` with the highest `value`, one table row each. */
const topBy = (value: string, tag: string, inner: string) =>
  `SELECT top("${value}", "${tag}", ${TOP_N}) AS "${value}" FROM (${inner})`;

/**
 * The share of samples matching `condition` per `tag`, 0 where none match. Two subqueries give
 * each group its matching count and its total (each writes 0 into the other's column, so every
 * group has both); counts are made floats, because integer division in an outer query truncates.
 */
function shareBy(m: MeasurementName, field: string, tag: string, condition: string): string {
  const part = `SELECT count("${field}") * 1.0 AS "part", count("${field}") * 0.0 AS "all" FROM "${m}" ${where(m, ` AND ${condition}`)} GROUP BY "${tag}"`;
  const all = `SELECT count("${field}") * 1.0 AS "all", count("${field}") * 0.0 AS "part" FROM "${m}" ${where(m)} GROUP BY "${tag}"`;
  return `SELECT sum("part") / sum("all") AS "share" FROM (${part}), (${all}) GROUP BY "${tag}"`;
}

export function breakdownPanels(y: number, firstId: number): Json[] {
  const w = 6;
  const h = 8;
  return [
    barGaugePanel(
      panel(
        firstId,
        'p95 Total Connection Time by Connection Type',
        'bargauge',
        { x: 0, y, w, h },
        `p95 of first signal to first handshake per connection type, the ${TOP_N} slowest types (${NEAREST_RANK}).`,
        [
          influxTarget(
            0,
            topBy(
              'p95',
              'connection_type',
              `SELECT percentile("total_seconds", 95) AS "p95" FROM "${CONN}" ${where(CONN)} GROUP BY "connection_type"`,
            ),
            '',
            'table',
          ),
        ],
      ),
      'connection',
      's',
      'connection_type',
    ),
    barGaugePanel(
      panel(
        firstId + 1,
        'Relay Share by OS',
        'bargauge',
        { x: w, y, w, h },
        `Share of connection attempts that went over a relay, per OS: the ${TOP_N} OSes with the highest share.`,
        [
          influxTarget(
            0,
            topBy(
              'share',
              'os',
              shareBy(CONN, 'total_seconds', 'os', `"connection_type" = 'relay'`),
            ),
            '',
            'table',
          ),
        ],
      ),
      'relayShare',
      'percentunit',
      'os',
    ),
    barGaugePanel(
      panel(
        firstId + 2,
        'Login Failure Rate by Version',
        'bargauge',
        { x: 2 * w, y, w, h },
        `Share of login attempts that failed, per client version: the ${TOP_N} versions with the highest rate.`,
        [
          influxTarget(
            0,
            topBy(
              'share',
              'version',
              shareBy(LOGIN, 'duration_seconds', 'version', `"result" = 'failure'`),
            ),
            '',
            'table',
          ),
        ],
      ),
      'failureRate',
      'percentunit',
      'version',
    ),
    donutPanel(
      panel(
        firstId + 3,
        'Connections by Attempt Type',
        'piechart',
        { x: 3 * w, y, w, h },
        'Connection attempts: first connections to a peer and reconnections.',
        [
          influxTarget(
            0,
            `SELECT count("total_seconds") AS "connections" FROM "${CONN}" ${where(CONN)} GROUP BY "attempt_type" SLIMIT ${TOP_N}`,
            '$tag_attempt_type',
          ),
        ],
      ),
    ),
  ];
}

/** Upper bucket bounds of the heatmaps, in seconds (a subset of the OTel histogram's). */
export const HEATMAP_BUCKETS = {
  connection: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  sync: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
} as const;

/** One target per bucket (lower, upper], named by its upper bound, counting samples per interval. */
function bucketTargets(m: MeasurementName, field: string, bounds: readonly number[]): Json[] {
  const les = [...bounds, Number.POSITIVE_INFINITY];
  return les.map((le, i) => {
    const lower = i === 0 ? '' : ` AND "${field}" > ${les[i - 1]}`;
    const upper = Number.isFinite(le) ? ` AND "${field}" <= ${le}` : '';
    const name = Number.isFinite(le) ? String(le) : '+Inf';
    return influxTarget(
      i,
      `SELECT count("${field}") AS "${name}" FROM "${m}" ${where(m, `${lower}${upper}`)} GROUP BY time($__interval) fill(0)`,
      name,
    );
  });
}

export function heatmapPanels(y: number, firstId: number): Json[] {
  return [
    heatmapPanel(
      panel(
        firstId,
        'Total Connection Time Heatmap',
        'heatmap',
        { x: 0, y, w: 12, h: 9 },
        'Connection attempts per interval and duration bucket (counts; bucket named by its upper bound).',
        bucketTargets(CONN, 'total_seconds', HEATMAP_BUCKETS.connection),
      ),
    ),
    heatmapPanel(
      panel(
        firstId + 1,
        'Sync Duration Heatmap',
        'heatmap',
        { x: 12, y, w: 12, h: 9 },
        'Management syncs per interval and duration bucket (counts; bucket named by its upper bound).',
        bucketTargets('netbird_sync', 'duration_seconds', HEATMAP_BUCKETS.sync),
      ),
    ),
  ];
}

// The PromQL dashboard's panels beyond NetBird's eight: percentiles, breakdowns by label and
// latency heatmaps, for the OTel histograms. Every selector filters by the template variables
// that apply to its instrument, and every answer is bounded (aggregates, `topk`).
//
// Percentiles are histogram_quantile over the buckets: linear interpolation inside the bucket
// that holds the rank, so an estimate between that bucket's bounds, not an observed value.
import { INSTRUMENTS } from '../src/instrumentation/otel-recorder.js';
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
import { type FilterTag, promFilter } from './variables.js';

export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'netbird-prometheus' } as const;

/** Groups a breakdown panel shows at most. */
export const TOP_K = 10;
export const QUANTILES = [0.5, 0.95, 0.99] as const;

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

/** The instrument each measurement's samples are recorded into (connections: the total). */
export const INSTRUMENT_OF: Record<MeasurementName, string> = {
  netbird_peer_connection: INSTRUMENTS.connection,
  netbird_sync: INSTRUMENTS.sync,
  netbird_sync_phase: INSTRUMENTS.syncPhase,
  netbird_login: INSTRUMENTS.login,
};

/** The `_count` series of a measurement's instrument (where template variables list values). */
export function promSelectorOf(measurement: MeasurementName): string {
  return promSelector(INSTRUMENT_OF[measurement], 'count');
}

/** A selector of an instrument with the variable filters of its measurement (and `extra`). */
export function filtered(
  instrument: string,
  measurement: MeasurementName,
  suffix: 'bucket' | 'count' | 'sum',
  extra = '',
  tags?: readonly FilterTag[],
): string {
  const matchers = [promFilter(measurement, tags), extra].filter((m) => m !== '').join(', ');
  return promSelector(instrument, suffix, matchers);
}

export function promTarget(
  refId: string,
  expr: string,
  legendFormat: string,
  instant: boolean,
  format = 'time_series',
): Json {
  return {
    refId,
    datasource: PROMETHEUS_DATASOURCE,
    expr,
    legendFormat,
    instant,
    range: !instant,
    editorMode: 'code',
    format,
  };
}

const pName = (q: number) => `p${Math.round(q * 100)}`;

export interface PromQuantity {
  readonly title: string;
  readonly instrument: string;
  readonly measurement: MeasurementName;
  /** The label that splits the instrument into parts ('' for none). */
  readonly by: '' | 'stage';
  readonly kind: ThresholdKind;
  readonly what: string;
  /** Recurring events: shown per rate interval over time; one-shot ones cumulatively. */
  readonly recurring: boolean;
}

export const PROM_QUANTITIES: readonly PromQuantity[] = [
  {
    title: 'Total Connection Time',
    instrument: INSTRUMENTS.connection,
    measurement: 'netbird_peer_connection',
    by: '',
    kind: 'connection',
    what: 'first signal to first WireGuard handshake',
    recurring: false,
  },
  {
    title: 'Connection Stages',
    instrument: INSTRUMENTS.connectionStage,
    measurement: 'netbird_peer_connection',
    by: 'stage',
    kind: 'connection',
    what: 'each stage of a connection, from its own instrument',
    recurring: false,
  },
  {
    title: 'Sync Duration',
    instrument: INSTRUMENTS.sync,
    measurement: 'netbird_sync',
    by: '',
    kind: 'sync',
    what: 'handling one management sync',
    recurring: true,
  },
  {
    title: 'Login Duration',
    instrument: INSTRUMENTS.login,
    measurement: 'netbird_login',
    by: '',
    kind: 'login',
    what: 'one login attempt, failures included',
    recurring: false,
  },
];

const INTERPOLATED =
  'histogram_quantile over the buckets: interpolated inside the bucket holding the rank, an estimate within its bounds';
const CUMULATIVE =
  'everything the reporting clients recorded since they started (cumulative histograms: these are one-shot events that rate() windows lose)';

function legend(q: PromQuantity, name: string): string {
  return q.by === '' ? name : `{{${q.by}}} ${name}`;
}

function quantileExpr(q: PromQuantity, quantile: number, rate: boolean): string {
  const by = q.by === '' ? 'le' : `le, ${q.by}`;
  const buckets = filtered(q.instrument, q.measurement, 'bucket');
  const inner = rate ? `rate(${buckets}[$__rate_interval])` : buckets;
  return `histogram_quantile(${quantile}, sum by (${by}) (${inner}))`;
}

export function percentileStat(q: PromQuantity, id: number, gridPos: GridPos): Json {
  const by = q.by === '' ? '' : ` by (${q.by})`;
  const count = `sum${by} (${filtered(q.instrument, q.measurement, 'count')})`;
  return statPanel(
    panel(
      id,
      `${q.title} p50 / p95 / p99`,
      'stat',
      gridPos,
      `p50, p95, p99 and count of ${q.what}, over ${CUMULATIVE} (${INTERPOLATED}).`,
      [
        ...QUANTILES.map((quantile, i) =>
          promTarget(refId(i), quantileExpr(q, quantile, false), legend(q, pName(quantile)), true),
        ),
        promTarget(refId(QUANTILES.length), count, legend(q, 'count'), true),
      ],
    ),
    q.kind,
  );
}

export function percentileLines(q: PromQuantity, id: number, gridPos: GridPos): Json {
  const over = q.recurring ? 'per rate interval (syncs recur, so rates work here)' : CUMULATIVE;
  return linesPanel(
    panel(
      id,
      `${q.title} Percentiles over Time`,
      'timeseries',
      gridPos,
      `p50, p95 and p99 of ${q.what}, ${over} (${INTERPOLATED}).`,
      QUANTILES.map((quantile, i) =>
        promTarget(
          refId(i),
          quantileExpr(q, quantile, q.recurring),
          legend(q, pName(quantile)),
          false,
        ),
      ),
    ),
    q.kind,
  );
}

const CONN = INSTRUMENTS.connection;
const LOGIN = INSTRUMENTS.login;

/** The share of the count matching `extra` per `label`: 0 (not missing) where none match. */
function shareBy(instrument: string, m: MeasurementName, label: string, extra: string): string {
  const part = `sum by (${label}) (${filtered(instrument, m, 'count', extra)})`;
  const all = `sum by (${label}) (${filtered(instrument, m, 'count')})`;
  return `topk(${TOP_K}, (${part} or ${all} * 0) / ${all})`;
}

export function breakdownPanels(y: number, firstId: number): Json[] {
  const w = 6;
  const h = 8;
  const conn = 'netbird_peer_connection';
  return [
    barGaugePanel(
      panel(
        firstId,
        'p95 Total Connection Time by Connection Type',
        'bargauge',
        { x: 0, y, w, h },
        `p95 of first signal to first handshake per connection type, the ${TOP_K} slowest, over ${CUMULATIVE} (${INTERPOLATED}).`,
        [
          promTarget(
            'A',
            `sort_desc(topk(${TOP_K}, histogram_quantile(0.95, sum by (le, connection_type) (${filtered(CONN, conn, 'bucket')}))))`,
            '{{connection_type}}',
            true,
          ),
        ],
      ),
      'connection',
    ),
    barGaugePanel(
      panel(
        firstId + 1,
        'Relay Share by OS',
        'bargauge',
        { x: w, y, w, h },
        `Share of connection attempts that went over a relay, per OS: the ${TOP_K} OSes with the highest share, over ${CUMULATIVE}.`,
        [
          promTarget(
            'A',
            `sort_desc(${shareBy(CONN, conn, 'os', 'connection_type="relay"')})`,
            '{{os}}',
            true,
          ),
        ],
      ),
      'relayShare',
      'percentunit',
    ),
    barGaugePanel(
      panel(
        firstId + 2,
        'Login Failure Rate by Version',
        'bargauge',
        { x: 2 * w, y, w, h },
        `Share of login attempts that failed, per client version: the ${TOP_K} versions with the highest rate, over ${CUMULATIVE}.`,
        [
          promTarget(
            'A',
            `sort_desc(${shareBy(LOGIN, 'netbird_login', 'version', 'result="failure"')})`,
            '{{version}}',
            true,
          ),
        ],
      ),
      'failureRate',
      'percentunit',
    ),
    donutPanel(
      panel(
        firstId + 3,
        'Connections by Attempt Type',
        'piechart',
        { x: 3 * w, y, w, h },
        `Connection attempts: first connections to a peer and reconnections, over ${CUMULATIVE}.`,
        [
          promTarget(
            'A',
            `topk(${TOP_K}, sum by (attempt_type) (${filtered(CONN, conn, 'count')}))`,
            '{{attempt_type}}',
            true,
          ),
        ],
      ),
    ),
  ];
}

function heatmapTarget(instrument: string, m: MeasurementName): Json {
  return promTarget(
    'A',
    `sum by (le) (increase(${filtered(instrument, m, 'bucket')}[$__rate_interval]))`,
    '{{le}}',
    false,
    'heatmap',
  );
}

export function heatmapPanels(y: number, firstId: number): Json[] {
  const note =
    "Observations per rate interval and bucket: increase() of the cumulative bucket counts, which Grafana's heatmap format turns into counts per bucket. A new series' first observations are not an increase, so sparse connections right after a client starts can be missing here; the percentile panels include them.";
  return [
    heatmapPanel(
      panel(firstId, 'Total Connection Time Heatmap', 'heatmap', { x: 0, y, w: 12, h: 9 }, note, [
        heatmapTarget(CONN, 'netbird_peer_connection'),
      ]),
    ),
    heatmapPanel(
      panel(firstId + 1, 'Sync Duration Heatmap', 'heatmap', { x: 12, y, w: 12, h: 9 }, note, [
        heatmapTarget(INSTRUMENTS.sync, 'netbird_sync'),
      ]),
    ),
  ];
}

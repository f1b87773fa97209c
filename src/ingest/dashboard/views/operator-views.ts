// The operator views, in reading order: percentiles first (the table, then lines over time),
// latency heatmaps, breakdowns by tag, and the sync phases.
import { breakdownChart } from '../charts/breakdown.js';
import type { ThresholdKind } from '../charts/colors.js';
import { heatmapChart } from '../charts/heatmap.js';
import { quantileLinesChart } from '../charts/lines.js';
import { stackedPhasesChart } from '../charts/stacked.js';
import { type FilterTag, MAX_FILTER_VALUE_LENGTH } from '../filters.js';
import type { Breakdown, BreakdownRow, Insights } from '../insights.js';
import type { TimeRange } from '../panels.js';
import { addFilter, type View } from './links.js';
import { percentileRows, percentileTable } from './percentiles.js';
import { phasesTable } from './phases.js';
import { section } from './section.js';

const utf8 = new TextEncoder();

/**
 * Whether a filter can select a row's group: not "other" (many groups), not "unknown" (samples
 * without the tag, which no value selects), and short enough to be a filter value.
 */
function filterable(row: BreakdownRow): boolean {
  return (
    row.other !== true &&
    row.label !== 'unknown' &&
    utf8.encode(row.label).length <= MAX_FILTER_VALUE_LENGTH
  );
}

interface BreakdownSpec {
  readonly id: string;
  readonly key: keyof Insights['breakdowns'];
  readonly title: string;
  readonly hint: string;
  readonly tag: FilterTag;
  readonly kind?: ThresholdKind;
}

/** The breakdowns; each row links to the view filtered to its group. */
export const BREAKDOWNS: readonly BreakdownSpec[] = [
  {
    id: 'p95-total-by-connection-type',
    key: 'p95TotalByConnectionType',
    title: 'p95 Connection Time by Connection Type',
    hint: 'p95 of the total connection time per transport',
    tag: 'connection_type',
    kind: 'connection',
  },
  {
    id: 'relay-share-by-os',
    key: 'relayShareByOs',
    title: 'Relay Share by OS',
    hint: 'Connections over relay, of all connections of the OS',
    tag: 'os',
    kind: 'relayShare',
  },
  {
    id: 'login-failure-rate-by-version',
    key: 'loginFailureRateByVersion',
    title: 'Login Failure Rate by Version',
    hint: 'Failed logins, of all logins of the client version',
    tag: 'version',
    kind: 'failureRate',
  },
  {
    id: 'connections-by-attempt-type',
    key: 'connectionsByAttemptType',
    title: 'Connections by Attempt Type',
    hint: 'Connection samples per attempt type',
    tag: 'attempt_type',
  },
];

const rowsCount = (b: Breakdown) => b.rows.reduce((n, r) => n + r.count, 0);

function breakdownViews(insights: Insights, view: View): string[] {
  return BREAKDOWNS.map((spec) => {
    const breakdown = insights.breakdowns[spec.key];
    return section({
      role: 'view',
      id: spec.id,
      title: spec.title,
      hint: spec.hint,
      width: 3,
      count: rowsCount(breakdown),
      attrs: ` data-tag="${spec.tag}"`,
      body: () =>
        breakdownChart(breakdown, {
          ...(spec.kind === undefined ? {} : { kind: spec.kind }),
          href: (row) => (filterable(row) ? addFilter(view, spec.tag, row.label) : undefined),
        }),
    });
  });
}

const LINES = [
  {
    id: 'connection-total-over-time',
    key: 'connectionTotal',
    title: 'Connection Time Percentiles',
    kind: 'connection',
  },
  { id: 'sync-over-time', key: 'sync', title: 'Sync Duration Percentiles', kind: 'sync' },
  { id: 'login-over-time', key: 'login', title: 'Login Duration Percentiles', kind: 'login' },
] as const;

function percentileViews(insights: Insights, range: TimeRange): string[] {
  const rows = percentileRows(insights);
  const table = section({
    role: 'view',
    id: 'percentiles',
    title: 'Percentiles',
    hint: 'Nearest-rank percentiles over the range (the sample at rank n·p/100, as InfluxQL computes them)',
    width: 12,
    count: rows.reduce((n, r) => n + r.quantiles.count, 0),
    body: () => percentileTable(rows),
  });
  const lines = LINES.map((spec) => {
    const dist = insights.distributions[spec.key];
    return section({
      role: 'view',
      id: spec.id,
      title: spec.title,
      hint: `p50, p95 and p99 per ${stepText(insights.buckets.stepMs)}`,
      width: 4,
      count: dist.overall.count,
      body: () => quantileLinesChart(dist, insights.buckets, range, spec.kind),
    });
  });
  return [table, ...lines];
}

/** `5 min`, `30 s`, `1 h`: a bucket's length. */
export function stepText(stepMs: number): string {
  if (stepMs % 3_600_000 === 0) return `${stepMs / 3_600_000} h`;
  if (stepMs % 60_000 === 0) return `${stepMs / 60_000} min`;
  return `${stepMs / 1000} s`;
}

function heatmapViews(insights: Insights, range: TimeRange): string[] {
  const specs = [
    { id: 'connection-total-heatmap', key: 'connectionTotal', title: 'Connection Time Heatmap' },
    { id: 'sync-heatmap', key: 'sync', title: 'Sync Duration Heatmap' },
  ] as const;
  return specs.map((spec) =>
    section({
      role: 'view',
      id: spec.id,
      title: spec.title,
      hint: `Samples per ${stepText(insights.buckets.stepMs)} and duration band`,
      width: 6,
      count: insights.distributions[spec.key].overall.count,
      body: () => heatmapChart(insights.heatmaps[spec.key], insights.buckets, range),
    }),
  );
}

function phaseViews(insights: Insights, range: TimeRange): string[] {
  const phases = insights.syncPhases;
  const count = phases.rows.reduce((n, r) => n + r.quantiles.count, 0);
  return [
    section({
      role: 'view',
      id: 'sync-phases',
      title: 'Sync Phases',
      hint: 'Percentiles of each phase and its share of all sync time',
      width: 6,
      count,
      body: () => phasesTable(phases),
    }),
    section({
      role: 'view',
      id: 'sync-phase-time',
      title: 'Time per Sync Phase',
      hint: `Seconds spent in each phase per ${stepText(insights.buckets.stepMs)}, stacked; the whole sync dashed`,
      width: 6,
      count,
      body: () => stackedPhasesChart(phases, insights.buckets, range),
    }),
  ];
}

export interface ViewGroup {
  readonly title: string;
  readonly sections: readonly string[];
}

/** Every operator view as a section, grouped, in reading order. */
export function operatorViews(insights: Insights, range: TimeRange, view: View): ViewGroup[] {
  return [
    { title: 'Percentiles', sections: percentileViews(insights, range) },
    { title: 'Latency heatmaps', sections: heatmapViews(insights, range) },
    { title: 'Breakdowns', sections: breakdownViews(insights, view) },
    { title: 'Sync phases', sections: phaseViews(insights, range) },
  ];
}

/** Values the breakdowns show, per tag, to suggest in the filter inputs. */
export function breakdownValues(insights: Insights): Partial<Record<FilterTag, string[]>> {
  const out: Partial<Record<FilterTag, string[]>> = {};
  for (const spec of BREAKDOWNS) {
    out[spec.tag] = insights.breakdowns[spec.key].rows.filter(filterable).map((r) => r.label);
  }
  return out;
}

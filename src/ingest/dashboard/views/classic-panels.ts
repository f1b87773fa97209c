// NetBird's eight client-metrics panels, as its Grafana dashboard has them, with two honest
// changes: numbers are coloured by threshold (the slowest connection is not green), and where a
// single number stood for a distribution (the stage means) the p50 and p95 are drawn, the mean
// kept beside them in text.
import { donutChart } from '../charts/donut.js';
import { pointsChart } from '../charts/points.js';
import { stagesChart } from '../charts/stages.js';
import { statChart } from '../charts/stat.js';
import type { Insights } from '../insights.js';
import {
  type DashboardData,
  LOGIN_RESULT_ORDER,
  PANELS,
  type PanelId,
  type PointSeries,
  type Slice,
} from '../panels.js';
import { section } from './section.js';

export function panelCount(data: DashboardData, id: PanelId): number {
  const sum = (slices: readonly Slice[]) => slices.reduce((n, s) => n + s.count, 0);
  const points = (s: PointSeries) => s.total;
  switch (id) {
    case 'sync-duration-extremes':
      return data.syncDurationExtremes.count;
    case 'total-connection-time-extremes':
      return data.totalConnectionTimeExtremes.count;
    case 'sync-duration':
      return points(data.syncDuration);
    case 'ice-vs-relay':
      return sum(data.iceVsRelay);
    case 'connection-stage-durations':
      return Math.max(0, ...data.connectionStageDurations.map((b) => b.count));
    case 'total-connection-time':
      return points(data.totalConnectionTime);
    case 'login-duration':
      return points(data.loginDuration);
    case 'login-success-vs-failure':
      return sum(data.loginSuccessVsFailure);
  }
}

/** The stages in the order of `connectionStageDurations`, with their distributions. */
function stageRows(data: DashboardData, insights: Insights) {
  const dists = [
    insights.distributions.signalingToConnection,
    insights.distributions.connectionToHandshake,
  ];
  return data.connectionStageDurations.map((bar, i) => ({
    label: bar.label.replace(/^Avg /, ''),
    mean: bar.value,
    count: bar.count,
    quantiles: dists[i]?.overall ?? {
      count: 0,
      p50: undefined,
      p95: undefined,
      p99: undefined,
      max: undefined,
    },
  }));
}

function panelBody(data: DashboardData, id: PanelId): string {
  const d = data.insights.distributions;
  switch (id) {
    case 'sync-duration-extremes':
      return statChart(data.syncDurationExtremes, 'syncs', 'sync', d.sync.overall);
    case 'total-connection-time-extremes':
      return statChart(
        data.totalConnectionTimeExtremes,
        'connection attempts',
        'connection',
        d.connectionTotal.overall,
      );
    case 'sync-duration':
      return pointsChart(data.syncDuration, data.range, { by: 'threshold', kind: 'sync' });
    case 'ice-vs-relay':
      return donutChart(data.iceVsRelay, 'peer pairs');
    case 'connection-stage-durations':
      return stagesChart(stageRows(data, data.insights));
    case 'total-connection-time':
      return pointsChart(data.totalConnectionTime, data.range, {
        by: 'threshold',
        kind: 'connection',
      });
    case 'login-duration':
      return pointsChart(data.loginDuration, data.range, {
        by: 'group',
        groups: legendGroups(data.loginDuration),
      });
    case 'login-success-vs-failure':
      return donutChart(data.loginSuccessVsFailure, 'logins');
  }
}

/** Most colour groups in a plot's legend; points of any further group are drawn in grey. */
const MAX_LEGEND_GROUPS = 12;

/** The known login results, then the other groups of the points in order of appearance. */
function legendGroups(series: PointSeries): string[] {
  const groups = new Set<string>(LOGIN_RESULT_ORDER);
  for (const p of series.points) {
    if (groups.size >= MAX_LEGEND_GROUPS) break;
    if (p.group !== undefined && p.group !== '') groups.add(p.group);
  }
  return [...groups];
}

const PANEL_HINTS: Readonly<Record<PanelId, string>> = {
  'sync-duration-extremes': 'Fastest and slowest management sync, percentiles between',
  'total-connection-time-extremes': 'First signal to first WireGuard handshake',
  'sync-duration': 'Every sync message, one point each',
  'ice-vs-relay': 'Last connection type per peer pair',
  'connection-stage-durations': 'p50 and p95 of each connection stage; the mean in text',
  'total-connection-time': 'Every connection attempt, one point each',
  'login-duration': 'Every login attempt, coloured by result',
  'login-success-vs-failure': 'Login attempts by result',
};

/** Titles where the page draws something other than NetBird's panel did. */
const TITLES: Partial<Record<PanelId, string>> = {
  'connection-stage-durations': 'Connection Stage Durations (p50, p95)',
};

const PANEL_WIDTH: Readonly<Record<PanelId, 3 | 6>> = {
  'sync-duration-extremes': 3,
  'total-connection-time-extremes': 3,
  'ice-vs-relay': 3,
  'login-success-vs-failure': 3,
  'sync-duration': 6,
  'connection-stage-durations': 6,
  'total-connection-time': 6,
  'login-duration': 6,
};

/** Panels in reading order: the headline numbers first, then the plots. */
const LAYOUT: readonly PanelId[] = [
  'sync-duration-extremes',
  'total-connection-time-extremes',
  'connection-stage-durations',
  'ice-vs-relay',
  'login-success-vs-failure',
  'sync-duration',
  'total-connection-time',
  'login-duration',
];

export function classicPanels(data: DashboardData): string[] {
  const panels = new Map(PANELS.map((p) => [p.id, p] as const));
  return LAYOUT.map((id) =>
    section({
      role: 'panel',
      id,
      title: TITLES[id] ?? panels.get(id)?.title ?? id,
      hint: PANEL_HINTS[id],
      width: PANEL_WIDTH[id],
      count: panelCount(data, id),
      attrs: ` data-kind="${panels.get(id)?.kind}"`,
      body: () => panelBody(data, id),
    }),
  );
}

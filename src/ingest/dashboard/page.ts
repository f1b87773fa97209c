// The whole dashboard as one HTML document: the eight panels of NetBird's client-metrics
// Grafana dashboard in a grid, a range picker, and the same 30 s refresh. A few lines of inline
// script only rewrite the time labels into the browser's time zone.
import { barsChart, donutChart, pointsChart, statChart } from './charts.js';
import type { Filters } from './filters.js';
import { escapeHtml, formatCount } from './format.js';
import {
  type DashboardData,
  LOGIN_RESULT_ORDER,
  PANELS,
  type PanelId,
  type PointSeries,
  type Slice,
} from './panels.js';

export interface PageOptions {
  /** Where the data came from, e.g. `embedded store` or `InfluxDB http://…/ db metrics`. */
  source: string;
  /** The selected range key (one of `ranges`, or `custom` for an explicit from/to). */
  rangeKey: string;
  ranges: readonly string[];
  /** Base path of the dashboard, for links. */
  basePath: string;
  refreshSeconds?: number;
  generatedAt: number;
  /** The request's filters (the form, the chips and every link keep them). */
  filters?: Filters;
  /** A request without range parameters: the default preset narrowed to the data. */
  fit?: boolean;
}

function panelCount(data: DashboardData, id: PanelId): number {
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

function panelBody(data: DashboardData, id: PanelId): string {
  switch (id) {
    case 'sync-duration-extremes':
      return statChart(data.syncDurationExtremes, 'syncs');
    case 'total-connection-time-extremes':
      return statChart(data.totalConnectionTimeExtremes, 'connection attempts');
    case 'sync-duration':
      return pointsChart(data.syncDuration, data.range);
    case 'ice-vs-relay':
      return donutChart(data.iceVsRelay, 'peer pairs');
    case 'connection-stage-durations':
      return barsChart(data.connectionStageDurations);
    case 'total-connection-time':
      return pointsChart(data.totalConnectionTime, data.range);
    case 'login-duration':
      return pointsChart(data.loginDuration, data.range, legendGroups(data.loginDuration));
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
  'sync-duration-extremes': 'Fastest and slowest management sync',
  'total-connection-time-extremes': 'First signal to first WireGuard handshake',
  'sync-duration': 'Every sync message, one point each',
  'ice-vs-relay': 'Last connection type per peer pair',
  'connection-stage-durations': 'Mean of each connection stage',
  'total-connection-time': 'Every connection attempt, one point each',
  'login-duration': 'Every login attempt, coloured by result',
  'login-success-vs-failure': 'Login attempts by result',
};

const STYLE = `
:root{color-scheme:dark}
*{box-sizing:border-box}
body{margin:0;background:#111217;color:#ccccdc;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 24px;padding:14px 20px;border-bottom:1px solid #2a2d35}
h1{font-size:18px;margin:0;color:#e6e6f0;font-weight:600}
.source{color:#9fa3b1;font-size:12px}
nav{margin-left:auto;display:flex;gap:4px}
nav a{color:#ccccdc;text-decoration:none;padding:3px 9px;border:1px solid #2f333b;border-radius:3px;font-size:12px}
nav a.on{background:#3d71d9;border-color:#3d71d9;color:#fff}
main{display:grid;grid-template-columns:repeat(12,1fr);gap:10px;padding:12px 20px}
.panel{background:#181b1f;border:1px solid #24272e;border-radius:4px;padding:10px 12px;min-width:0}
.panel h2{font-size:13px;font-weight:600;margin:0;color:#e6e6f0}
.panel .hint{font-size:11px;color:#8e919c;margin:0 0 6px}
.w3{grid-column:span 3}.w4{grid-column:span 4}.w6{grid-column:span 6}.w8{grid-column:span 8}
@media (max-width:1000px){.w3,.w4,.w6,.w8{grid-column:span 12}}
.chart{width:100%;height:auto;display:block}
.grid{stroke:#2c3038;stroke-width:1}
.axis{fill:#8e919c;font-size:11px}
.stats{display:flex;gap:12px;justify-content:space-around;padding:22px 0 8px}
.stat-count{text-align:center;color:#8e919c;font-size:12px;margin:6px 0 0}
.stat{display:flex;flex-direction:column;align-items:center}
.stat-name{font-size:11px;text-transform:uppercase;color:#8e919c;letter-spacing:.05em}
.stat-value{font-size:clamp(18px,2.2vw,32px);font-weight:600;color:#73bf69;white-space:nowrap}
.donut-wrap{display:flex;align-items:center;gap:12px}
.donut-wrap svg{max-width:170px;flex:0 0 auto}
.donut-wrap .legend{flex:1 1 auto;min-width:0}
.donut-total{fill:#e6e6f0;font-size:24px;font-weight:600}
.donut-unit{fill:#8e919c;font-size:11px}
.legend{list-style:none;margin:0;padding:0;font-size:12px}
.legend li{display:flex;align-items:center;gap:6px;margin:6px 0;white-space:nowrap}
.legend i{display:inline-block;flex:0 0 10px;width:10px;height:10px;border-radius:2px}
.legend-value{color:#8e919c;margin-left:auto;padding-left:8px}
.legend.inline{display:flex;gap:14px}
.bar-bg{fill:#22252b}
.bar-label{fill:#ccccdc;font-size:13px}
.bar-value{fill:#e6e6f0;font-size:15px;font-weight:600}
.note{font-size:11px;color:#8e919c;margin:4px 0 0}
.empty{display:flex;align-items:center;justify-content:center;height:120px;color:#8e919c}
.warn{grid-column:span 12;background:#3a2a12;border:1px solid #6b4c15;color:#f5c26b;padding:6px 10px;border-radius:4px;font-size:12px}
footer{padding:0 20px 14px;color:#6e717c;font-size:11px}
`;

/** Rewrites UTC time labels to the browser's zone; the page is complete without it. */
export const PAGE_SCRIPT = `
for (const el of document.querySelectorAll('[data-t]')) {
  const d = new Date(Number(el.dataset.t));
  const p = (n) => String(n).padStart(2, '0');
  const time = p(d.getHours()) + ':' + p(d.getMinutes());
  el.textContent = el.dataset.date === '1' ? p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + time : time;
}
`;

const PANEL_WIDTH: Readonly<Record<PanelId, string>> = {
  'sync-duration-extremes': 'w3',
  'total-connection-time-extremes': 'w3',
  'ice-vs-relay': 'w3',
  'login-success-vs-failure': 'w3',
  'sync-duration': 'w6',
  'connection-stage-durations': 'w6',
  'total-connection-time': 'w6',
  'login-duration': 'w6',
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

export function renderPage(data: DashboardData, options: PageOptions): string {
  const titles = new Map(PANELS.map((p) => [p.id, p] as const));
  const panels = LAYOUT.map((id) => {
    const panel = titles.get(id);
    const count = panelCount(data, id);
    const body = count === 0 ? '<div class="empty">No data</div>' : panelBody(data, id);
    return (
      `<section class="panel ${PANEL_WIDTH[id]}" id="panel-${id}" data-panel="${id}" data-kind="${panel?.kind}" data-count="${count}">` +
      `<h2>${escapeHtml(panel?.title ?? id)}</h2><p class="hint">${escapeHtml(PANEL_HINTS[id])}</p>${body}</section>`
    );
  });
  const nav = options.ranges
    .map(
      (r) =>
        `<a href="${escapeHtml(options.basePath)}?range=${encodeURIComponent(r)}"${r === options.rangeKey ? ' class="on"' : ''}>${escapeHtml(r)}</a>`,
    )
    .join('');
  const refresh = options.refreshSeconds ?? 30;
  const custom = !options.ranges.includes(options.rangeKey);
  const refreshUrl = custom
    ? `${options.basePath}?from=${data.range.from}&to=${data.range.to}`
    : `${options.basePath}?range=${encodeURIComponent(options.rangeKey)}`;
  const rangeText = custom
    ? `${new Date(data.range.from).toISOString()} to ${new Date(data.range.to).toISOString()}`
    : `last ${options.rangeKey}`;
  const warning = data.truncated ? `<p class="warn">${escapeHtml(data.truncated)}</p>` : '';
  const generated = new Date(options.generatedAt).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refresh}; url=${escapeHtml(refreshUrl)}">
<title>NetBird Client Metrics</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>NetBird Client Metrics</h1>
<span class="source" id="source">${escapeHtml(options.source)} · ${escapeHtml(rangeText)}</span>
<nav aria-label="time range">${nav}</nav>
</header>
<main id="panels">
${warning}${panels.join('\n')}
</main>
<footer>Generated <time datetime="${generated}">${generated}</time> · refreshes every ${refresh} s · ${formatCount(panelCount(data, 'total-connection-time'))} connection samples in range</footer>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

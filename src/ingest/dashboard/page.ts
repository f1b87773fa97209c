// The whole dashboard as one HTML document: the operator views (percentiles, heatmaps,
// breakdowns, sync phases), then the eight panels of NetBird's client-metrics Grafana dashboard;
// a range picker, filters as plain links and GET forms, and a 30 s refresh that keeps both. The
// page is complete without JavaScript: a few lines of inline script only rewrite the time labels
// into the browser's time zone.
import type { Filters } from './filters.js';
import { escapeHtml, formatCount, formatTick } from './format.js';
import type { DashboardData } from './panels.js';
import { classicPanels, panelCount } from './views/classic-panels.js';
import { filterBar } from './views/filter-bar.js';
import { sourceKind } from './views/header.js';
import { selfUrl, type View, withRange } from './views/links.js';
import { breakdownValues, operatorViews } from './views/operator-views.js';
import { STYLE } from './views/style.js';

export interface PageOptions {
  /**
   * Where the data came from, e.g. `embedded store (/var/lib/…)` or `InfluxDB http://…`; the
   * page shows only its kind (`embedded store`, `InfluxDB <database>`).
   */
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

/** Rewrites UTC time labels to the browser's zone; the page is complete without it. */
export const PAGE_SCRIPT = `
for (const el of document.querySelectorAll('[data-t]')) {
  const d = new Date(Number(el.dataset.t));
  const p = (n) => String(n).padStart(2, '0');
  const time = p(d.getHours()) + ':' + p(d.getMinutes());
  el.textContent = el.dataset.date === '1' ? p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + time : time;
}
`;

function rangeText(data: DashboardData, view: View): string {
  const at = (t: number) =>
    `<span data-t="${t}" data-date="1">${escapeHtml(formatTick(t, true))}</span>`;
  if (view.fit) {
    return data.insights.extent === null
      ? `last ${escapeHtml(view.rangeKey)} (no data to fit the range to)`
      : `last ${escapeHtml(view.rangeKey)}, fitted to the data: from ${at(data.range.from)}`;
  }
  if (!view.ranges.includes(view.rangeKey)) {
    return `${at(data.range.from)} to ${at(data.range.to)}`;
  }
  return `last ${escapeHtml(view.rangeKey)}`;
}

function rangeNav(view: View): string {
  const fit = `<a href="${escapeHtml(withRange(view, undefined))}" title="the default range, narrowed to where the data starts"${view.fit ? ' class="on"' : ''}>fit</a>`;
  const presets = view.ranges.map(
    (r) =>
      `<a href="${escapeHtml(withRange(view, r))}"${!view.fit && r === view.rangeKey ? ' class="on"' : ''}>${escapeHtml(r)}</a>`,
  );
  return `<nav aria-label="time range">${fit}${presets.join('')}</nav>`;
}

function warnings(data: DashboardData): string {
  const texts = [
    ...(data.truncated === undefined ? [] : [data.truncated]),
    ...(data.insights.truncated ?? []),
  ];
  return texts.map((t) => `<p class="warn">${escapeHtml(t)}</p>`).join('');
}

export function renderPage(data: DashboardData, options: PageOptions): string {
  const view: View = {
    basePath: options.basePath,
    rangeKey: options.rangeKey,
    ranges: options.ranges,
    fit: options.fit === true,
    range: data.range,
    filters: options.filters ?? data.insights.filters,
  };
  const groups = [
    ...operatorViews(data.insights, data.range, view),
    { title: 'NetBird client metrics', sections: classicPanels(data) },
  ];
  const main = groups
    .map((g) => `<h2 class="group-title">${escapeHtml(g.title)}</h2>\n${g.sections.join('\n')}`)
    .join('\n');
  const refresh = options.refreshSeconds ?? 30;
  const generated = new Date(options.generatedAt).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refresh}; url=${escapeHtml(selfUrl(view))}">
<title>NetBird Client Metrics</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>NetBird Client Metrics</h1>
<span class="source" id="source">${escapeHtml(sourceKind(options.source))} · ${rangeText(data, view)}</span>
${rangeNav(view)}
</header>
${filterBar(view, breakdownValues(data.insights))}
<main id="panels">
${warnings(data)}${main}
</main>
<footer>Generated <time datetime="${generated}">${generated}</time> · refreshes every ${refresh} s · ${formatCount(panelCount(data, 'total-connection-time'))} connection samples in range</footer>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

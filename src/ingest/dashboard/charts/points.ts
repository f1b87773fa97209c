// A scatter plot of durations over time (NetBird's Grafana "points only" panels): one point per
// sample, coloured by threshold or by a category (the login result).
import { escapeHtml, formatCount, formatSeconds } from '../format.js';
import type { PointSeries, TimeRange } from '../panels.js';
import { PLOT_H, r2, timeGrid, timePlot, timeX, valueGrid, valueScale } from './axis.js';
import { colorFor, MUTED, type ThresholdKind, thresholdColor } from './colors.js';
import { label } from './label.js';
import { thresholdLegend } from './threshold-legend.js';

export type PointColors =
  | { readonly by: 'threshold'; readonly kind: ThresholdKind }
  | { readonly by: 'group'; readonly groups: readonly string[] };

export function pointsChart(series: PointSeries, range: TimeRange, colors: PointColors): string {
  const y = valueScale(
    series.points.map((p) => p.v),
    PLOT_H,
  );
  const x = timeX(range);
  const groupIndex = new Map(colors.by === 'group' ? colors.groups.map((g, i) => [g, i]) : []);
  const color = (v: number, group: string | undefined): string => {
    if (colors.by === 'threshold') return thresholdColor(colors.kind, v);
    const index = group === undefined ? undefined : groupIndex.get(group);
    return group === undefined || index === undefined ? MUTED : colorFor(group, index);
  };
  const dots = series.points.map(
    (p) =>
      `<circle class="pt" cx="${r2(x(p.t))}" cy="${r2(y.map(p.v))}" r="2.5" fill="${color(p.v, p.group)}"${p.group === undefined ? '' : ` data-group="${label(p.group)}"`}><title>${escapeHtml(formatSeconds(p.v))}</title></circle>`,
  );
  const svg = timePlot(
    'points',
    ` data-scale="${y.log ? 'log' : 'linear'}"`,
    valueGrid(y) + timeGrid(range),
    dots.join(''),
  );
  const shown =
    series.total > series.points.length
      ? `<p class="note">showing ${formatCount(series.points.length)} of ${formatCount(series.total)} points (${series.selection})</p>`
      : '';
  const legend =
    colors.by === 'threshold'
      ? thresholdLegend(colors.kind)
      : colors.groups.length > 0
        ? `<ul class="legend inline">${colors.groups.map((g, i) => `<li><i style="background:${colorFor(g, i)}"></i>${label(g)}</li>`).join('')}</ul>`
        : '';
  return svg + legend + shown;
}

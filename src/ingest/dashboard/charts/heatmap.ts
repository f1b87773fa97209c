// A latency heatmap: time across, duration bands up, each cell coloured by how many samples
// fell in it. Built on counts, so a single slow connection is a visible cell, where a mean or
// a percentile line would hide it.
import { escapeHtml, formatBound, formatCount } from '../format.js';
import { HEATMAP_BOUNDS_SECONDS, type Heatmap, type TimeBuckets } from '../insights.js';
import type { TimeRange } from '../panels.js';
import { PLOT_H, r2, timeGrid, timePlot, timeX } from './axis.js';

const CELL_COLOR = '#5794f2';
/** The faintest cell (one sample) still stands out from the background. */
const MIN_OPACITY = 0.35;

/** A band's label: its upper bound, or "more than" the last bound for the band above them. */
export function bandLabel(band: number): string {
  const bounds = HEATMAP_BOUNDS_SECONDS;
  const upper = bounds[band];
  return upper === undefined
    ? `> ${formatBound(bounds[bounds.length - 1] as number)}`
    : `≤ ${formatBound(upper)}`;
}

/** Opacity of a cell: logarithmic in its count, so one sample and a thousand both show. */
export function cellOpacity(count: number, max: number): number {
  if (count <= 0) return 0;
  if (count >= max) return 1;
  return Math.min(1, MIN_OPACITY + ((1 - MIN_OPACITY) * Math.log(count)) / Math.log(max));
}

/** Lowest and highest band with a sample, or undefined for an empty heatmap. */
function occupiedBands(heatmap: Heatmap): { lo: number; hi: number; max: number } | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = -1;
  let max = 0;
  for (const row of heatmap.counts) {
    row.forEach((c, band) => {
      if (c <= 0) return;
      lo = Math.min(lo, band);
      hi = Math.max(hi, band);
      max = Math.max(max, c);
    });
  }
  return hi < 0 ? undefined : { lo, hi, max };
}

export function heatmapChart(heatmap: Heatmap, buckets: TimeBuckets, range: TimeRange): string {
  const bands = occupiedBands(heatmap);
  if (bands === undefined) return '<div class="empty">No data</div>';
  const rows = bands.hi - bands.lo + 1;
  const rowH = PLOT_H / rows;
  /** Top edge of a band's row; band `b - 1`'s top edge is band `b`'s bottom edge. */
  const rowY = (band: number) => (bands.hi - band) * rowH;
  // Labels at the band edges, as on a value axis: the bound between two bands.
  const labelEvery = rows > 8 ? 2 : 1;
  const axis: string[] = [];
  for (let edge = bands.lo - 1; edge <= bands.hi; edge++) {
    const bound = edge < 0 ? 0 : HEATMAP_BOUNDS_SECONDS[edge];
    if (bound === undefined || (bands.hi - edge) % labelEvery !== 0) continue;
    axis.push(
      `<line class="grid" x1="0" x2="-4" y1="${r2(rowY(edge))}" y2="${r2(rowY(edge))}"/>` +
        `<text class="axis" x="-6" y="${r2(rowY(edge))}" text-anchor="end" dominant-baseline="middle">${bound === 0 ? '0' : escapeHtml(formatBound(bound))}</text>`,
    );
  }
  const x = timeX(range);
  const cells: string[] = [];
  heatmap.counts.forEach((row, i) => {
    const x0 = x(buckets.start + i * buckets.stepMs);
    const x1 = x(buckets.start + (i + 1) * buckets.stepMs);
    row.forEach((count, band) => {
      if (count <= 0) return;
      cells.push(
        `<rect class="cell" data-bucket="${i}" data-band="${band}" data-count="${count}" x="${r2(x0)}" y="${r2(rowY(band))}" width="${r2(Math.max(1, x1 - x0 - 0.5))}" height="${r2(Math.max(1, rowH - 0.5))}" fill="${CELL_COLOR}" fill-opacity="${cellOpacity(count, bands.max).toFixed(2)}">` +
          `<title>${formatCount(count)} · ${escapeHtml(bandLabel(band))}</title></rect>`,
      );
    });
  });
  const svg = timePlot('heatmap', '', axis.join('') + timeGrid(range), cells.join(''));
  const legend =
    `<ul class="legend inline"><li><i style="background:${CELL_COLOR};opacity:${MIN_OPACITY}"></i>1 sample</li>` +
    `<li><i style="background:${CELL_COLOR}"></i>${formatCount(bands.max)} samples</li></ul>`;
  return svg + legend;
}

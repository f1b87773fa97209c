// Percentiles over time: p50, p95 and p99 of a duration per time bucket, as lines, with the
// duration's thresholds drawn dashed so "slow" can be read off the axis. A bucket without a
// value breaks the line (nothing is drawn between buckets nobody measured).
import { formatBound } from '../format.js';
import type { Distribution, TimeBuckets } from '../insights.js';
import type { TimeRange } from '../panels.js';
import {
  PLOT_H,
  PLOT_W,
  r2,
  type Scale,
  timeGrid,
  timePlot,
  timeX,
  valueGrid,
  valueScale,
} from './axis.js';
import { BAD, THRESHOLDS, type ThresholdKind, WARN } from './colors.js';

const QUANTILE_LINES = [
  { q: 'p50', color: '#8ab8ff' },
  { q: 'p95', color: '#b877d9' },
  { q: 'p99', color: '#ff9830' },
] as const;

/** The middle of bucket `i`, epoch ms. */
export function bucketMiddle(buckets: TimeBuckets, i: number): number {
  return buckets.start + (i + 0.5) * buckets.stepMs;
}

/** Path data through the non-null values; a null starts a new segment. */
function linePath(values: readonly (number | null)[], xs: readonly number[], y: Scale): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${r2(xs[i] as number)} ${r2(y.map(v))}`;
    pen = true;
  });
  return d;
}

/** Values with no neighbour on either side: a path would not show them, a dot does. */
function lonelyDots(
  values: readonly (number | null)[],
  xs: readonly number[],
  y: Scale,
  color: string,
): string {
  return values
    .map((v, i) =>
      v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null
        ? `<circle cx="${r2(xs[i] as number)}" cy="${r2(y.map(v))}" r="2.5" fill="${color}"/>`
        : '',
    )
    .join('');
}

function thresholdLines(kind: ThresholdKind, y: Scale): string {
  const t = THRESHOLDS[kind];
  return [
    [t.warn, WARN],
    [t.bad, BAD],
  ]
    .filter(([v]) => (v as number) <= y.top)
    .map(([v, color]) => {
      const ty = r2(y.map(v as number));
      return `<line class="threshold" x1="0" x2="${PLOT_W}" y1="${ty}" y2="${ty}" stroke="${color}"><title>${formatBound(v as number)}</title></line>`;
    })
    .join('');
}

export function quantileLinesChart(
  dist: Distribution,
  buckets: TimeBuckets,
  range: TimeRange,
  kind: ThresholdKind,
): string {
  const values: number[] = [];
  for (const { q } of QUANTILE_LINES) {
    for (const v of dist.overTime[q]) if (v !== null) values.push(v);
  }
  const y = valueScale(values, PLOT_H);
  const x = timeX(range);
  const xs = dist.overTime.count.map((_, i) => x(bucketMiddle(buckets, i)));
  const lines = QUANTILE_LINES.map(
    ({ q, color }) =>
      `<path class="line" data-q="${q}" d="${linePath(dist.overTime[q], xs, y)}" stroke="${color}" fill="none"/>` +
      lonelyDots(dist.overTime[q], xs, y, color),
  );
  const svg = timePlot(
    'lines',
    ` data-scale="${y.log ? 'log' : 'linear'}"`,
    valueGrid(y) + timeGrid(range) + thresholdLines(kind, y),
    lines.join(''),
  );
  const legend = QUANTILE_LINES.map(
    ({ q, color }) => `<li><i style="background:${color}"></i>${q}</li>`,
  ).join('');
  return `${svg}<ul class="legend inline">${legend}<li><i class="dash" style="border-color:${WARN}"></i>warn</li><li><i class="dash" style="border-color:${BAD}"></i>bad</li></ul>`;
}

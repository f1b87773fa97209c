// Where sync time goes: seconds spent in each sync phase per time bucket, stacked, with the
// whole sync's seconds as a line over them (time no phase accounts for is the gap between the
// two).
import { escapeHtml, formatSeconds } from '../format.js';
import type { SyncPhases, TimeBuckets } from '../insights.js';
import type { TimeRange } from '../panels.js';
import { linearScale, PLOT_H, r2, timeGrid, timePlot, timeX, valueGrid } from './axis.js';
import { seriesColor } from './colors.js';
import { label } from './label.js';

const SYNC_LINE_COLOR = '#e6e6f0';

export function stackedPhasesChart(
  phases: SyncPhases,
  buckets: TimeBuckets,
  range: TimeRange,
): string {
  const stackTops = Array.from({ length: buckets.count }, (_, i) =>
    phases.secondsOverTime.reduce((sum, row) => sum + (row[i] ?? 0), 0),
  );
  const y = linearScale(Math.max(0, ...stackTops, ...phases.syncSecondsOverTime), PLOT_H);
  const x = timeX(range);
  const bars: string[] = [];
  for (let i = 0; i < buckets.count; i++) {
    const x0 = x(buckets.start + i * buckets.stepMs);
    const width = Math.max(1, x(buckets.start + (i + 1) * buckets.stepMs) - x0 - 1);
    let below = 0;
    phases.secondsOverTime.forEach((row, p) => {
      const v = row[i] ?? 0;
      if (v <= 0) return;
      const top = y.map(below + v);
      bars.push(
        `<rect class="seg" data-phase="${label(phases.rows[p]?.phase ?? '')}" data-bucket="${i}" x="${r2(x0)}" y="${r2(top)}" width="${r2(width)}" height="${r2(Math.max(0.5, y.map(below) - top))}" fill="${seriesColor(p)}"><title>${label(phases.rows[p]?.phase ?? '')}: ${escapeHtml(formatSeconds(v))}</title></rect>`,
      );
      below += v;
    });
  }
  let d = '';
  phases.syncSecondsOverTime.forEach((v, i) => {
    const x0 = r2(x(buckets.start + i * buckets.stepMs));
    const x1 = r2(x(buckets.start + (i + 1) * buckets.stepMs));
    const ty = r2(y.map(v));
    d += `${i === 0 ? 'M' : 'L'}${x0} ${ty}L${x1} ${ty}`;
  });
  const line = `<path class="sync-total" d="${d}" stroke="${SYNC_LINE_COLOR}" stroke-dasharray="4 3" fill="none"/>`;
  const svg = timePlot('stacked', '', valueGrid(y) + timeGrid(range), bars.join('') + line);
  const legend = phases.rows
    .map((r, p) => `<li><i style="background:${seriesColor(p)}"></i>${label(r.phase)}</li>`)
    .join('');
  return `${svg}<ul class="legend inline wrap">${legend}<li><i class="dash" style="border-color:${SYNC_LINE_COLOR}"></i>whole sync</li></ul>`;
}

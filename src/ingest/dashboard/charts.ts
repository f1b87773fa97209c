// Plain SVG charts rendered on the server: no script, no library, no build step, and a page
// that is complete when it arrives (so it prints, screenshots and works without JavaScript).
// Every value that came from a client (tag values) is escaped, for HTML and for the eye: invisible
// and reordering characters are shown as escapes (labels.ts).
import { escapeHtml, formatCount, formatPercent, formatSeconds, formatTick } from './format.js';
import { displayLabel } from './labels.js';
import type { Bar, Extremes, PointSeries, Slice, TimeRange } from './panels.js';
import { OTHER_LABEL } from './top-counts.js';

/** Grafana's classic palette, so the built-in dashboard and the Grafana ones look alike. */
const COLORS: Readonly<Record<string, string>> = {
  ice_p2p: '#73bf69',
  ice_turn: '#fade2a',
  relay: '#5794f2',
  success: '#73bf69',
  failure: '#f2495c',
  [OTHER_LABEL]: '#8e919c',
};
const FALLBACK_COLORS = ['#ff9830', '#b877d9', '#8ab8ff', '#ffb357', '#ca95e5'];
const POINT_COLOR = '#5794f2';
/** Colour of points whose group has no legend entry of its own. */
const UNLISTED_COLOR = COLORS[OTHER_LABEL] as string;

/** A client-supplied label, safe in HTML text and attributes and unable to pass for another. */
const label = (text: string): string => escapeHtml(displayLabel(text));

function colorFor(label: string, index: number): string {
  return COLORS[label] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length] ?? '#999';
}

const r2 = (n: number): string => (Math.round(n * 100) / 100).toString();

export function statChart(extremes: Extremes, unit: string): string {
  const stat = (name: 'min' | 'max', value: number | undefined) =>
    `<div class="stat"><span class="stat-name">${name}</span>` +
    `<span class="stat-value" data-stat="${name}"${value === undefined ? '' : ` data-seconds="${value}"`}>${escapeHtml(formatSeconds(value))}</span></div>`;
  return (
    `<div class="stats">${stat('min', extremes.min)}${stat('max', extremes.max)}</div>` +
    `<p class="stat-count">over ${formatCount(extremes.count)} ${escapeHtml(unit)}</p>`
  );
}

interface Scale {
  map(v: number): number;
  ticks: ReadonlyArray<{ v: number; label: string }>;
  log: boolean;
}

const NICE_STEPS = [1, 2, 5];

function linearScale(max: number, height: number): Scale {
  const top = max > 0 ? max : 1;
  const rough = top / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = (NICE_STEPS.find((s) => s * power >= rough) ?? 10) * power;
  const end = Math.ceil(top / step) * step;
  const ticks = [];
  for (let v = 0; v <= end + step / 2; v += step) ticks.push({ v, label: formatSeconds(v) });
  return { map: (v) => height - (v / end) * height, ticks, log: false };
}

function logScale(minPositive: number, max: number, height: number): Scale {
  const lo = Math.floor(Math.log10(minPositive));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks = [];
  for (let e = lo; e <= hi; e++) ticks.push({ v: 10 ** e, label: formatSeconds(10 ** e) });
  const floor = 10 ** lo;
  return {
    map: (v) => height - ((Math.log10(Math.max(v, floor)) - lo) / (hi - lo)) * height,
    ticks,
    log: true,
  };
}

/**
 * Linear when the values fit in two decades, logarithmic otherwise: connection times range
 * from a few hundred milliseconds to minutes-long reconnections, and a linear axis would
 * flatten almost every point onto the floor.
 */
function valueScale(values: readonly number[], height: number): Scale {
  let max = 0;
  let minPositive = Number.POSITIVE_INFINITY;
  for (const v of values) {
    if (v > max) max = v;
    if (v > 0 && v < minPositive) minPositive = v;
  }
  if (max > 0 && minPositive < Number.POSITIVE_INFINITY && max / minPositive > 100) {
    return logScale(minPositive, max, height);
  }
  return linearScale(max, height);
}

const TIME_STEPS_MS = [
  10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000,
  21_600_000, 43_200_000, 86_400_000,
];

function timeTicks(range: TimeRange, maxTicks = 6): number[] {
  const span = Math.max(1, range.to - range.from);
  const step =
    TIME_STEPS_MS.find((s) => span / s <= maxTicks) ??
    Math.ceil(span / maxTicks / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(range.from / step) * step; t <= range.to; t += step) ticks.push(t);
  return ticks;
}

const PLOT = { width: 600, height: 230, left: 62, right: 12, top: 10, bottom: 26 };

/** A scatter plot of durations over time (NetBird's Grafana "points only, size 5" panels). */
export function pointsChart(
  series: PointSeries,
  range: TimeRange,
  groups?: readonly string[],
): string {
  const w = PLOT.width - PLOT.left - PLOT.right;
  const h = PLOT.height - PLOT.top - PLOT.bottom;
  const values = series.points.map((p) => p.v);
  const y = valueScale(values, h);
  const span = Math.max(1, range.to - range.from);
  const x = (t: number) => ((t - range.from) / span) * w;
  const withDate = span > 86_400_000;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart points" viewBox="0 0 ${PLOT.width} ${PLOT.height}" role="img" data-scale="${y.log ? 'log' : 'linear'}">`,
  );
  parts.push(`<g transform="translate(${PLOT.left},${PLOT.top})">`);
  for (const tick of y.ticks) {
    const ty = r2(y.map(tick.v));
    parts.push(
      `<line class="grid" x1="0" x2="${w}" y1="${ty}" y2="${ty}"/>` +
        `<text class="axis" x="-6" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeHtml(tick.label)}</text>`,
    );
  }
  for (const t of timeTicks(range)) {
    const tx = r2(x(t));
    parts.push(
      `<line class="grid" x1="${tx}" x2="${tx}" y1="0" y2="${h}"/>` +
        `<text class="axis time" data-t="${t}" data-date="${withDate ? 1 : 0}" x="${tx}" y="${h + 17}" text-anchor="middle">${formatTick(t, withDate)}</text>`,
    );
  }
  const groupIndex = new Map((groups ?? []).map((g, i) => [g, i]));
  for (const p of series.points) {
    const index = p.group === undefined ? undefined : groupIndex.get(p.group);
    const color =
      p.group === undefined
        ? POINT_COLOR
        : index === undefined
          ? UNLISTED_COLOR
          : colorFor(p.group, index);
    parts.push(
      `<circle class="pt" cx="${r2(x(p.t))}" cy="${r2(y.map(p.v))}" r="2.5" fill="${color}"${p.group === undefined ? '' : ` data-group="${label(p.group)}"`}><title>${escapeHtml(formatSeconds(p.v))}</title></circle>`,
    );
  }
  parts.push('</g></svg>');
  const shown =
    series.total > series.points.length
      ? `<p class="note">showing ${formatCount(series.points.length)} of ${formatCount(series.total)} points (${series.selection})</p>`
      : '';
  const legend =
    groups && groups.length > 0
      ? `<ul class="legend inline">${groups.map((g, i) => `<li><i style="background:${colorFor(g, i)}"></i>${label(g)}</li>`).join('')}</ul>`
      : '';
  return parts.join('') + legend + shown;
}

function arc(cx: number, cy: number, r: number, a0: number, a1: number): string {
  const p = (a: number) => `${r2(cx + r * Math.sin(a))} ${r2(cy - r * Math.cos(a))}`;
  return `M ${p(a0)} A ${r} ${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${p(a1)}`;
}

/** A donut with a legend of counts and shares (NetBird's Grafana pie panels). */
export function donutChart(slices: readonly Slice[], unit: string): string {
  const total = slices.reduce((n, s) => n + s.count, 0);
  const size = 200;
  const c = size / 2;
  const r = 70;
  const parts = [
    `<div class="donut-wrap"><svg class="chart donut" viewBox="0 0 ${size} ${size}" role="img">`,
  ];
  let angle = 0;
  slices.forEach((s, i) => {
    if (s.count === 0) return;
    const share = s.count / total;
    const color = colorFor(s.label, i);
    const attrs = `class="slice" data-label="${label(s.label)}" data-count="${s.count}"${s.other ? ' data-other="1"' : ''} stroke="${color}"`;
    const title = `<title>${label(s.label)}: ${s.count}</title>`;
    if (share >= 0.9999) {
      parts.push(
        `<circle ${attrs} cx="${c}" cy="${c}" r="${r}" fill="none" stroke-width="34">${title}</circle>`,
      );
    } else {
      const next = angle + share * 2 * Math.PI;
      parts.push(
        `<path ${attrs} d="${arc(c, c, r, angle, next)}" fill="none" stroke-width="34">${title}</path>`,
      );
      angle = next;
    }
  });
  parts.push(
    `<text class="donut-total" x="${c}" y="${c - 4}" text-anchor="middle">${formatCount(total)}</text>`,
    `<text class="donut-unit" x="${c}" y="${c + 16}" text-anchor="middle">${escapeHtml(unit)}</text>`,
    '</svg><ul class="legend">',
  );
  slices.forEach((s, i) => {
    parts.push(
      `<li data-label="${label(s.label)}"><i style="background:${colorFor(s.label, i)}"></i>` +
        `<span class="legend-label">${label(s.label)}</span>` +
        `<span class="legend-value">${formatCount(s.count)} · ${formatPercent(s.count, total)}</span></li>`,
    );
  });
  parts.push('</ul></div>');
  return parts.join('');
}

/** Horizontal gradient bars, one per stage, label above its bar (NetBird's Grafana bar gauge). */
export function barsChart(bars: readonly Bar[]): string {
  const max = Math.max(0, ...bars.map((b) => b.value ?? 0));
  const width = 600;
  const rowH = 58;
  const valueW = 100;
  const barW = width - valueW;
  const parts = [
    `<svg class="chart bars" viewBox="0 0 ${width} ${rowH * bars.length + 4}" role="img">`,
    '<defs><linearGradient id="bar-gradient" x1="0" x2="1" y1="0" y2="0">',
    '<stop offset="0" stop-color="#73bf69"/><stop offset="0.6" stop-color="#fade2a"/><stop offset="1" stop-color="#ff9830"/>',
    '</linearGradient></defs>',
  ];
  bars.forEach((b, i) => {
    const y = 4 + i * rowH;
    const len = b.value === undefined || max === 0 ? 0 : Math.max(2, (b.value / max) * barW);
    parts.push(
      `<text class="bar-label" x="0" y="${y + 14}">${escapeHtml(b.label)}</text>`,
      `<rect class="bar-bg" x="0" y="${y + 22}" width="${barW - 12}" height="26" rx="2"/>`,
      `<rect class="bar" x="0" y="${y + 22}" width="${r2(Math.min(len, barW - 12))}" height="26" rx="2" fill="url(#bar-gradient)"${b.value === undefined ? '' : ` data-seconds="${b.value}"`} data-count="${b.count}"/>`,
      `<text class="bar-value" x="${width - 2}" y="${y + 41}" text-anchor="end">${escapeHtml(formatSeconds(b.value))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

// Axes: value scales for durations with ticks in 1-2-5 steps of one unit (ms, s or min, so never
// "16.7 min"), time ticks, and the grid lines and labels every plot draws.
import { escapeHtml, formatTick } from '../format.js';
import type { TimeRange } from '../panels.js';

export interface Tick {
  /** Seconds. */
  readonly v: number;
  readonly label: string;
}

export interface Scale {
  /** Seconds to a y position (0 at the top, `height` at the bottom). */
  map(v: number): number;
  readonly ticks: readonly Tick[];
  readonly log: boolean;
  /** The largest value on the axis, seconds. */
  readonly top: number;
}

interface Unit {
  readonly name: 'ms' | 's' | 'min';
  readonly seconds: number;
}
const MS: Unit = { name: 'ms', seconds: 0.001 };
const S: Unit = { name: 's', seconds: 1 };
const MIN: Unit = { name: 'min', seconds: 60 };

/** The unit of an axis reaching `seconds`: as `formatSeconds` switches, at 1 s and at 2 min. */
function unitFor(seconds: number): Unit {
  return seconds < 1 ? MS : seconds < 120 ? S : MIN;
}

/** The unit of a log-axis tick: the ladder counts minutes from 1 min on. */
function ladderUnit(seconds: number): Unit {
  return seconds < 1 ? MS : seconds < 60 ? S : MIN;
}

/** A number without float noise: 0.30000000000000004 → 0.3. */
const clean = (n: number): string => String(Number(n.toPrecision(12)));

function tickLabel(seconds: number, unit: Unit): string {
  return seconds === 0 ? '0' : `${clean(seconds / unit.seconds)} ${unit.name}`;
}

const NICE = [1, 2, 5, 10];

/** 0 to a 1-2-5 multiple of one unit at or above `max`, about four steps. */
export function linearScale(max: number, height: number): Scale {
  const top = max > 0 ? max : 1;
  const unit = unitFor(top);
  const rough = top / unit.seconds / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = (NICE.find((s) => s * power >= rough * (1 - 1e-9)) ?? 10) * power;
  const steps = Math.max(1, Math.ceil(top / unit.seconds / step - 1e-9));
  const end = steps * step * unit.seconds;
  const ticks: Tick[] = [];
  for (let k = 0; k <= steps; k++) {
    const v = Number((k * step * unit.seconds).toPrecision(12));
    ticks.push({ v, label: tickLabel(v, unit) });
  }
  return { map: (v) => height - (v / end) * height, ticks, log: false, top: end };
}

/**
 * Tick values of a logarithmic duration axis, seconds: 1-2-5 steps of ms below a second, of
 * seconds up to 50 s, then of minutes (1 min, 2 min, 5 min, ...), so every label is a round
 * number of its unit.
 */
function logLadder(lo: number, hi: number): number[] {
  const out: number[] = [];
  const push = (v: number) => out.push(Number(v.toPrecision(12)));
  for (let e = -3; e <= 2; e++) for (const m of [1, 2, 5]) push(m * 10 ** e * MS.seconds);
  for (const m of [1, 2, 5, 10, 20, 50]) push(m);
  for (let e = 0; 10 ** e * MIN.seconds <= Math.max(hi, MIN.seconds) * 10; e++) {
    for (const m of [1, 2, 5]) push(m * 10 ** e * MIN.seconds);
  }
  const from = out.filter((v) => v <= lo).pop() ?? (out[0] as number);
  const to = out.find((v) => v >= hi) ?? (out[out.length - 1] as number);
  return out.filter((v) => v >= from && v <= to);
}

/**
 * Ticks of a ladder, thinned to its ends and the round decades between them (1 ms, 10 ms, ...,
 * 1 min, 10 min) when crowded.
 */
function thin(values: number[], maxTicks: number): number[] {
  if (values.length <= maxTicks) return values;
  const ends = [values[0] as number, values[values.length - 1] as number];
  const decades = values.filter((v) => /^1(0*)$/.test(clean(v / ladderUnit(v).seconds)));
  const [lo, hi] = ends as [number, number];
  // A decade less than a factor 3 from an end would crowd its label (1 min under 2 min).
  const inner = decades.filter((v) => v / lo >= 3 && hi / v >= 3);
  const kept = [lo, ...inner, hi];
  if (kept.length <= maxTicks) return kept;
  const every = Math.ceil((kept.length - 1) / (maxTicks - 1));
  return kept.filter((_, i) => i % every === 0 || i === kept.length - 1);
}

export function logScale(minPositive: number, max: number, height: number): Scale {
  const values = logLadder(minPositive, max);
  const lo = values[0] as number;
  const hi = Math.max(values[values.length - 1] as number, lo * 10);
  const span = Math.log10(hi) - Math.log10(lo);
  const ticks = thin(values, 7).map((v) => ({ v, label: tickLabel(v, ladderUnit(v)) }));
  return {
    map: (v) => height - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * height,
    ticks,
    log: true,
    top: hi,
  };
}

/**
 * Linear when the values fit in two decades, logarithmic otherwise: connection times range
 * from a few hundred milliseconds to minutes-long reconnections, and a linear axis would
 * flatten almost every point onto the floor.
 */
export function valueScale(values: Iterable<number>, height: number): Scale {
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
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Round times inside `range` (epoch ms), at most `maxTicks`. */
export function timeTicks(range: TimeRange, maxTicks = 6): number[] {
  const span = Math.max(1, range.to - range.from);
  const step =
    TIME_STEPS_MS.find((s) => span / s <= maxTicks) ??
    Math.ceil(span / maxTicks / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(range.from / step) * step; t <= range.to; t += step) ticks.push(t);
  return ticks;
}

export const r2 = (n: number): string => (Math.round(n * 100) / 100).toString();

/** The drawing area of a time plot inside its viewBox. */
export const PLOT = { width: 600, height: 230, left: 62, right: 12, top: 10, bottom: 26 };
export const PLOT_W = PLOT.width - PLOT.left - PLOT.right;
export const PLOT_H = PLOT.height - PLOT.top - PLOT.bottom;

/** Epoch ms to x over the whole range (the range a fit request narrowed to the data). */
export function timeX(range: TimeRange): (t: number) => number {
  const span = Math.max(1, range.to - range.from);
  return (t) => ((Math.min(Math.max(t, range.from), range.to) - range.from) / span) * PLOT_W;
}

/** Horizontal grid lines with their labels. */
export function valueGrid(scale: Scale): string {
  return scale.ticks
    .map((tick) => {
      const y = r2(scale.map(tick.v));
      return (
        `<line class="grid" x1="0" x2="${PLOT_W}" y1="${y}" y2="${y}"/>` +
        `<text class="axis" x="-6" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(tick.label)}</text>`
      );
    })
    .join('');
}

/** Vertical grid lines at round times, labelled in UTC (the page's script shows local time). */
export function timeGrid(range: TimeRange): string {
  const x = timeX(range);
  const withDate = range.to - range.from > 86_400_000;
  return timeTicks(range)
    .map((t) => {
      const tx = r2(x(t));
      return (
        `<line class="grid" x1="${tx}" x2="${tx}" y1="0" y2="${PLOT_H}"/>` +
        `<text class="axis time" data-t="${t}" data-date="${withDate ? 1 : 0}" x="${tx}" y="${PLOT_H + 17}" text-anchor="middle">${formatTick(t, withDate)}</text>`
      );
    })
    .join('');
}

/** An SVG time plot: `content` is drawn in plot coordinates, over the grid. */
export function timePlot(kind: string, attrs: string, grid: string, content: string): string {
  return (
    `<svg class="chart ${kind}" viewBox="0 0 ${PLOT.width} ${PLOT.height}" role="img"${attrs}>` +
    `<g transform="translate(${PLOT.left},${PLOT.top})">${grid}${content}</g></svg>`
  );
}

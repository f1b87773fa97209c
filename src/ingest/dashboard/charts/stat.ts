// Big numbers: the fastest and slowest of a duration, coloured by threshold (the slowest
// connection in minutes is red, not the green NetBird's stat panels draw it in).
import { escapeHtml, formatCount, formatSeconds } from '../format.js';
import type { Extremes } from '../panels.js';
import type { Quantiles } from '../quantiles.js';
import { type ThresholdKind, thresholdColor } from './colors.js';

type StatName = 'min' | 'p50' | 'p95' | 'p99' | 'max';

function stat(name: StatName, value: number | undefined, kind: ThresholdKind): string {
  const seconds = value === undefined ? '' : ` data-seconds="${value}"`;
  return (
    `<div class="stat"><span class="stat-name">${name}</span>` +
    `<span class="stat-value" data-stat="${name}"${seconds} style="color:${thresholdColor(kind, value)}">${escapeHtml(formatSeconds(value))}</span></div>`
  );
}

/** Min and max, and the percentiles between them when known. */
export function statChart(
  extremes: Extremes,
  unit: string,
  kind: ThresholdKind,
  quantiles?: Quantiles,
): string {
  const middle =
    quantiles === undefined
      ? ''
      : `<div class="stats minor">${stat('p50', quantiles.p50, kind)}${stat('p95', quantiles.p95, kind)}${stat('p99', quantiles.p99, kind)}</div>`;
  return (
    `<div class="stats">${stat('min', extremes.min, kind)}${stat('max', extremes.max, kind)}</div>${middle}` +
    `<p class="stat-count">over ${formatCount(extremes.count)} ${escapeHtml(unit)}</p>`
  );
}

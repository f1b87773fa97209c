// A breakdown: one row per group (the largest few, then "other"), a bar, the value and the
// samples behind it. A row's label links to the same view filtered to that group, so a
// regression found here is one click from its own view.
import { escapeHtml, formatCount, formatRatio, formatSeconds } from '../format.js';
import type { Breakdown, BreakdownRow } from '../insights.js';
import { NEUTRAL, type ThresholdKind, thresholdColor } from './colors.js';
import { hbar } from './hbar.js';
import { label } from './label.js';

export interface BreakdownOptions {
  /** Colours the bars by threshold; counts without one are drawn in the neutral colour. */
  readonly kind?: ThresholdKind;
  /** The link that filters to a row's group; undefined for rows that cannot be filtered. */
  readonly href?: (row: BreakdownRow) => string | undefined;
}

export function formatBreakdownValue(unit: Breakdown['unit'], value: number | null): string {
  if (unit === 'seconds') return formatSeconds(value);
  if (unit === 'ratio') return formatRatio(value);
  return value === null ? '–' : formatCount(value);
}

export function breakdownChart(breakdown: Breakdown, options: BreakdownOptions = {}): string {
  const max =
    breakdown.unit === 'ratio' ? 1 : Math.max(0, ...breakdown.rows.map((r) => r.value ?? 0));
  const rows = breakdown.rows.map((row) => {
    const color = options.kind === undefined ? NEUTRAL : thresholdColor(options.kind, row.value);
    const href = options.href?.(row);
    const name =
      href === undefined
        ? `<span class="group">${label(row.label)}</span>`
        : `<a class="group" href="${escapeHtml(href)}" title="filter to ${label(row.label)}">${label(row.label)}</a>`;
    const value = formatBreakdownValue(breakdown.unit, row.value);
    return (
      `<tr class="row" data-label="${label(row.label)}"${row.other ? ' data-other="1"' : ''} data-count="${row.count}"${row.value === null ? '' : ` data-value="${row.value}"`}>` +
      `<th scope="row">${name}</th><td class="bar-cell">${hbar(row.value, max, color)}</td>` +
      `<td class="num value">${escapeHtml(value)}</td><td class="num count">${formatCount(row.count)}</td></tr>`
    );
  });
  return (
    '<table class="breakdown"><thead><tr><th scope="col">group</th><th scope="col"><span class="sr">bar</span></th>' +
    `<th scope="col" class="num">value</th><th scope="col" class="num">samples</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

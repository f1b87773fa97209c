// The connection stages as bars: p50 and p95 of each stage, coloured by threshold, with the mean
// beside them in text (NetBird's panel shows only the mean, which a long tail pulls far from
// what most connections see).
import { escapeHtml, formatCount, formatSeconds } from '../format.js';
import type { Quantiles } from '../quantiles.js';
import { thresholdColor } from './colors.js';
import { hbar } from './hbar.js';

export interface StageRow {
  readonly label: string;
  readonly mean: number | undefined;
  /** Samples behind the mean. */
  readonly count: number;
  readonly quantiles: Quantiles;
}

const attr = (name: string, v: number | undefined) => (v === undefined ? '' : ` ${name}="${v}"`);

export function stagesChart(rows: readonly StageRow[]): string {
  const max = Math.max(0, ...rows.flatMap((r) => [r.quantiles.p95 ?? 0, r.mean ?? 0]));
  const bar = (name: 'p50' | 'p95', v: number | undefined) =>
    `<div class="hbar-row"><span class="hbar-name">${name}</span>${hbar(v, max, thresholdColor('connection', v))}` +
    `<span class="hbar-value" data-q="${name}">${escapeHtml(formatSeconds(v))}</span></div>`;
  const items = rows.map(
    (r) =>
      `<div class="stage" data-stage="${escapeHtml(r.label)}" data-count="${r.count}"${attr('data-mean', r.mean)}${attr('data-p50', r.quantiles.p50)}${attr('data-p95', r.quantiles.p95)}>` +
      `<div class="stage-head"><span class="stage-label">${escapeHtml(r.label)}</span>` +
      `<span class="stage-mean">mean ${escapeHtml(formatSeconds(r.mean))} · ${formatCount(r.count)} samples</span></div>` +
      bar('p50', r.quantiles.p50) +
      bar('p95', r.quantiles.p95) +
      '</div>',
  );
  return `<div class="stages">${items.join('')}</div>`;
}

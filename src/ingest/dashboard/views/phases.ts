// The sync phases: for each phase its p50, p95, p99 and share of all sync time, as a table.

import { thresholdColor } from '../charts/colors.js';
import { label, wrappingLabel } from '../charts/label.js';
import { escapeHtml, formatCount, formatRatio, formatSeconds } from '../format.js';
import type { SyncPhases } from '../insights.js';

export function phasesTable(phases: SyncPhases): string {
  const rows = phases.rows.map((r) => {
    const q = (name: 'p50' | 'p95' | 'p99') => {
      const v = r.quantiles[name];
      return `<td class="num" data-q="${name}"${v === undefined ? '' : ` data-seconds="${v}"`} style="color:${thresholdColor('syncPhase', v)}">${escapeHtml(formatSeconds(v))}</td>`;
    };
    return (
      `<tr data-phase="${label(r.phase)}" data-count="${r.quantiles.count}" data-total-seconds="${r.totalSeconds}"${r.shareOfSync === null ? '' : ` data-share="${r.shareOfSync}"`}>` +
      `<th scope="row">${wrappingLabel(r.phase)}</th><td class="num">${formatCount(r.quantiles.count)}</td>${q('p50')}${q('p95')}${q('p99')}` +
      `<td class="num" data-q="share">${formatRatio(r.shareOfSync)}</td></tr>`
    );
  });
  return (
    '<div class="table-wrap"><table class="phases"><thead><tr><th scope="col">phase</th><th scope="col" class="num">count</th>' +
    '<th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th>' +
    `<th scope="col" class="num" title="the phase's seconds over all sync seconds">share</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    `<p class="note">Shares are of ${escapeHtml(formatSeconds(phases.syncTotalSeconds))} of sync time in the range.</p>`
  );
}

// The percentile summary: count, p50, p95, p99 and max of every duration an operator reads as a
// distribution, each percentile coloured by the duration's threshold.

import { type ThresholdKind, thresholdColor } from '../charts/colors.js';
import { label, wrappingLabel } from '../charts/label.js';
import { escapeHtml, formatCount, formatSeconds } from '../format.js';
import type { Insights } from '../insights.js';
import type { Quantiles } from '../quantiles.js';

export interface PercentileRow {
  /** Stable id: a distribution's key, or `phase:<name>`. */
  readonly id: string;
  readonly title: string;
  readonly quantiles: Quantiles;
  readonly kind: ThresholdKind;
}

export const DISTRIBUTION_TITLES = {
  connectionTotal: 'Connection total',
  signalingToConnection: 'Signaling to connection',
  connectionToHandshake: 'Connection to WireGuard handshake',
  sync: 'Sync',
  login: 'Login',
} as const;

const DISTRIBUTION_KINDS: Readonly<Record<keyof typeof DISTRIBUTION_TITLES, ThresholdKind>> = {
  connectionTotal: 'connection',
  signalingToConnection: 'connection',
  connectionToHandshake: 'connection',
  sync: 'sync',
  login: 'login',
};

/** Every row of the table: the five distributions, then each sync phase. */
export function percentileRows(insights: Insights): PercentileRow[] {
  const keys = Object.keys(DISTRIBUTION_TITLES) as Array<keyof typeof DISTRIBUTION_TITLES>;
  return [
    ...keys.map((key) => ({
      id: key,
      title: DISTRIBUTION_TITLES[key],
      quantiles: insights.distributions[key].overall,
      kind: DISTRIBUTION_KINDS[key],
    })),
    ...insights.syncPhases.rows.map((r) => ({
      id: `phase:${r.phase}`,
      title: r.phase,
      quantiles: r.quantiles,
      kind: 'syncPhase' as const,
    })),
  ];
}

const COLUMNS = ['p50', 'p95', 'p99', 'max'] as const;

export function percentileTable(rows: readonly PercentileRow[]): string {
  const body = rows.map((row, i) => {
    const cells = COLUMNS.map((q) => {
      const v = row.quantiles[q];
      return `<td class="num" data-q="${q}"${v === undefined ? '' : ` data-seconds="${v}"`} style="color:${thresholdColor(row.kind, v)}">${escapeHtml(formatSeconds(v))}</td>`;
    });
    const first = row.kind === 'syncPhase' && rows[i - 1]?.kind !== 'syncPhase';
    const heading = first
      ? '<tr class="sub"><th scope="rowgroup" colspan="6">sync phases</th></tr>'
      : '';
    return (
      `${heading}<tr data-dist="${label(row.id)}"${row.kind === 'syncPhase' ? ' class="phase"' : ''} data-count="${row.quantiles.count}"><th scope="row">${wrappingLabel(row.title)}</th>` +
      `<td class="num" data-q="count">${formatCount(row.quantiles.count)}</td>${cells.join('')}</tr>`
    );
  });
  return (
    '<div class="table-wrap"><table class="percentiles"><thead><tr><th scope="col">duration</th><th scope="col" class="num">count</th>' +
    `${COLUMNS.map((q) => `<th scope="col" class="num">${q}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`
  );
}

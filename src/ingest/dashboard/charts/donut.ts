// A donut with a legend of counts and shares (NetBird's Grafana pie panels).
import { escapeHtml, formatCount, formatPercent } from '../format.js';
import type { Slice } from '../panels.js';
import { r2 } from './axis.js';
import { colorFor } from './colors.js';
import { label } from './label.js';

function arc(cx: number, cy: number, r: number, a0: number, a1: number): string {
  const p = (a: number) => `${r2(cx + r * Math.sin(a))} ${r2(cy - r * Math.cos(a))}`;
  return `M ${p(a0)} A ${r} ${r} 0 ${a1 - a0 > Math.PI ? 1 : 0} 1 ${p(a1)}`;
}

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

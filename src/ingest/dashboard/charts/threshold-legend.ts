// The legend that says what each threshold colour means, next to every chart coloured by one.
import { formatBound, formatRatio } from '../format.js';
import { BAD, GOOD, THRESHOLDS, type ThresholdKind, WARN } from './colors.js';

export function thresholdLegend(kind: ThresholdKind): string {
  const t = THRESHOLDS[kind];
  const f = (v: number) => (t.unit === 'ratio' ? formatRatio(v) : formatBound(v));
  const item = (color: string, text: string) =>
    `<li><i style="background:${color}"></i>${text}</li>`;
  return (
    `<ul class="legend inline thresholds" data-thresholds="${kind}">` +
    item(GOOD, `&lt; ${f(t.warn)}`) +
    item(WARN, `${f(t.warn)} – ${f(t.bad)}`) +
    item(BAD, `≥ ${f(t.bad)}`) +
    '</ul>'
  );
}

// Text formatting for the dashboard: escaping, durations, ratios, times. Pure.

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML and SVG content and attribute values (tag values come from clients). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A duration in seconds as an operator reads it: `420 µs`, `12.3 ms`, `1.52 s`, `6.5 min`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const abs = Math.abs(seconds);
  if (abs === 0) return '0 ms';
  if (abs < 0.001) return `${trim((seconds * 1e6).toPrecision(3))} µs`;
  if (abs < 1) return `${trim((seconds * 1000).toPrecision(3))} ms`;
  if (abs < 120) return `${trim(seconds.toPrecision(3))} s`;
  if (abs < 7200) return `${trim((seconds / 60).toPrecision(3))} min`;
  return `${trim((seconds / 3600).toPrecision(3))} h`;
}

/** `1.50` → `1.5`, `120.` → `120`; leaves exponent forms alone. */
function trim(text: string): string {
  if (text.includes('e')) return String(Number(text));
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '–';
  const p = (100 * part) / whole;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** A ratio 0–1 as a percentage, as {@link formatPercent} shows a part of a whole. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return formatPercent(ratio, 1);
}

/**
 * A round duration as a band edge or threshold shows it, in the unit it is round in:
 * `5 ms`, `200 s`, `10 min` (where {@link formatSeconds} would show `3.33 min`).
 */
export function formatBound(seconds: number): string {
  const clean = (n: number) => String(Number(n.toPrecision(12)));
  if (seconds < 1) return `${clean(seconds * 1000)} ms`;
  if (seconds >= 60 && Number.isInteger(seconds / 60)) return `${clean(seconds / 60)} min`;
  return `${clean(seconds)} s`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * `HH:MM` in UTC, or `MM-DD HH:MM` when the span crosses days. The page's script rewrites
 * these to the browser's time zone (as NetBird's Grafana dashboards do).
 */
export function formatTick(t: number, withDate: boolean): string {
  const d = new Date(t);
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return withDate ? `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${time}` : time;
}

/** Compact integer with thousands separators (`12 345`). */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

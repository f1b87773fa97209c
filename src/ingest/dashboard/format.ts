// Text formatting for the dashboard: escaping, durations, times. Pure.

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
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
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

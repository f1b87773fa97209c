import {
  type EncodeStats,
  LineProtocolEncodeError,
} from '../../src/protocol/line-protocol/encode.js';
import type { Sample } from '../../src/protocol/schema.js';

// The encoder's rules written the plain way (regex escaping, string building): the reference the
// byte-level encoder in src/protocol/line-protocol must match exactly, replacements counted alike.
// Backslashes and control characters cannot be carried portably (InfluxDB 1.x and 2.x read `\\`
// differently, a newline splits the line), so they become `_`; a lone UTF-16 surrogate has no
// UTF-8 form (sending it would silently turn it into U+FFFD), so it becomes `_` too.

const UNPORTABLE =
  /[\\\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Also a space or comma: NetBird's Go ingest splits lines on them whatever escapes them. */
const UNPORTABLE_TO_NETBIRD =
  /[\\\u0000-\u001f\u007f ,]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_WORK_KEY = /[\\\u0000-\u001f\u007f ,=\uD800-\uDFFF]/;
const NEEDS_WORK_MEASUREMENT = /[\\\u0000-\u001f\u007f ,\uD800-\uDFFF]/;

/** How tag values are written: for NetBird's Go ingest, or standard escaping for any InfluxDB. */
export type TagValueStyle = 'netbird' | 'standard';

function sanitize(text: string, stats: EncodeStats | undefined, unportable = UNPORTABLE): string {
  return text.replace(unportable, () => {
    if (stats !== undefined) stats.replacedChars++;
    return '_';
  });
}

/** Escapes a tag key or field key (and a tag value in standard style). */
export function escapeKey(text: string, stats?: EncodeStats): string {
  if (!NEEDS_WORK_KEY.test(text)) return text;
  return sanitize(text, stats).replace(/[ ,=]/g, '\\$&');
}

/** A tag value: like a key in standard style; for NetBird, spaces and commas become `_`. */
export function escapeTagValue(text: string, style: TagValueStyle, stats?: EncodeStats): string {
  if (style === 'standard') return escapeKey(text, stats);
  if (!NEEDS_WORK_KEY.test(text)) return text;
  return sanitize(text, stats, UNPORTABLE_TO_NETBIRD).replace(/=/g, '\\=');
}

export function escapeMeasurement(text: string, stats?: EncodeStats): string {
  if (!NEEDS_WORK_MEASUREMENT.test(text)) return text;
  return sanitize(text, stats).replace(/[ ,]/g, '\\$&');
}

/** Shortest text that parses back to the same float64; refuses what InfluxDB cannot store. */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) {
    throw new LineProtocolEncodeError(`cannot write non-finite number ${value}`);
  }
  return Object.is(value, -0) ? '-0' : String(value);
}

/** One line as the documented semantics say it must read. */
export function referenceLine(
  sample: Sample,
  stats: EncodeStats,
  style: TagValueStyle = 'netbird',
): string {
  let line = escapeMeasurement(sample.measurement, stats);
  for (const key in sample.tags) {
    const value = sample.tags[key];
    if (value === undefined || value === '' || key === '') continue;
    line += `,${escapeKey(key, stats)}=${escapeTagValue(value, style, stats)}`;
  }
  const keys = Object.keys(sample.fields).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  line += keys
    .map(
      (key, i) =>
        `${i === 0 ? ' ' : ','}${escapeKey(key, stats)}=${formatFloat(sample.fields[key]!)}`,
    )
    .join('');
  return sample.timestampNs === undefined ? line : `${line} ${sample.timestampNs}`;
}

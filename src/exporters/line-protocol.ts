import type { Sample } from '../schema.js';

/**
 * InfluxDB line-protocol encoding (DESIGN decision 3). Pure: strings in, strings out.
 *
 * The output means the same to InfluxDB 1.x, 2.x and 3.x:
 * - commas, spaces and (outside the measurement) equals signs are backslash-escaped;
 * - backslashes, control characters and lone surrogates cannot be carried portably (1.x and 2.x read `\\`
 *   differently, a trailing `\` escapes the delimiter, a newline splits the line), so in names
 *   and tag values each one is replaced by `_` and counted;
 * - empty tag values are left out (InfluxDB rejects `k=`);
 * - field keys are sorted in byte order; numbers use the shortest form that parses back to the
 *   same float64; NaN and ±Infinity are refused.
 */

export interface EncodeStats {
  /** Characters replaced by `_` because they cannot be carried portably. */
  replacedChars: number;
}

export class LineProtocolEncodeError extends Error {
  override name = 'LineProtocolEncodeError';
}

// A lone UTF-16 surrogate has no UTF-8 form: sending it would silently turn it into U+FFFD.
const UNPORTABLE =
  /[\\\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_WORK_KEY = /[\\\u0000-\u001f\u007f ,=\uD800-\uDFFF]/;
const NEEDS_WORK_MEASUREMENT = /[\\\u0000-\u001f\u007f ,\uD800-\uDFFF]/;

function sanitize(text: string, stats: EncodeStats | undefined): string {
  return text.replace(UNPORTABLE, () => {
    if (stats !== undefined) stats.replacedChars++;
    return '_';
  });
}

/** Escapes a tag key, tag value or field key. */
export function escapeKey(text: string, stats?: EncodeStats): string {
  if (!NEEDS_WORK_KEY.test(text)) return text;
  return sanitize(text, stats).replace(/[ ,=]/g, '\\$&');
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

function byteOrder(a: string, b: string): number {
  // Code-unit order equals byte order for the ASCII keys InfluxDB users have.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line, without the trailing newline. */
export function encodeLine(sample: Sample, stats?: EncodeStats): string {
  if (sample.measurement === '') throw new LineProtocolEncodeError('empty measurement name');
  let line = escapeMeasurement(sample.measurement, stats);
  const tags = sample.tags;
  for (const key in tags) {
    const value = tags[key];
    if (value === undefined || value === '' || key === '') continue;
    line += `,${escapeKey(key, stats)}=${escapeKey(value, stats)}`;
  }
  const keys = Object.keys(sample.fields);
  if (keys.length === 0) {
    throw new LineProtocolEncodeError(`${sample.measurement}: a line needs at least one field`);
  }
  if (keys.length > 1) keys.sort(byteOrder);
  let sep = ' ';
  for (const key of keys) {
    const value = sample.fields[key] as number;
    if (!Number.isFinite(value)) {
      throw new LineProtocolEncodeError(
        `${sample.measurement}: field ${key} is ${value}; NaN and Infinity cannot be written`,
      );
    }
    line += `${sep}${escapeKey(key, stats)}=${formatFloat(value)}`;
    sep = ',';
  }
  if (sample.timestampNs !== undefined) line += ` ${sample.timestampNs}`;
  return line;
}

/** Newline-terminated lines, one per sample. */
export function encodeLineProtocol(samples: Iterable<Sample>, stats?: EncodeStats): string {
  let out = '';
  for (const sample of samples) out += `${encodeLine(sample, stats)}\n`;
  return out;
}

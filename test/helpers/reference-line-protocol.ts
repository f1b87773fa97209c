import {
  type EncodeStats,
  LineProtocolEncodeError,
} from '../../src/protocol/line-protocol/encode.js';
import type { Sample } from '../../src/protocol/schema.js';

/**
 * DESIGN decision 3 written the plain way (regex escaping, string building): the reference the
 * byte-level encoder in src/protocol/line-protocol must match exactly, replacements counted alike.
 */

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

/** One line as the documented semantics say it must read. */
export function referenceLine(sample: Sample, stats: EncodeStats): string {
  let line = escapeMeasurement(sample.measurement, stats);
  for (const key in sample.tags) {
    const value = sample.tags[key];
    if (value === undefined || value === '' || key === '') continue;
    line += `,${escapeKey(key, stats)}=${escapeKey(value, stats)}`;
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

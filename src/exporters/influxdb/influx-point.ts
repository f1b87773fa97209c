// One InfluxDB point with float and integer fields, and its line. The collector writes some
// fields as integers (`start_time_unix_nano`, the values of integer instruments), and InfluxDB
// fixes a field's type at its first write, so writing those as floats would make our lines
// and the collector's refuse each other in one database. Pure.

import {
  type EncodeStats,
  encodeStandardLine,
  LineProtocolEncodeError,
} from '../../protocol/line-protocol/encode.js';

/** A number is a float field; a bigint is an integer field (`…i`). */
export type FieldValue = number | bigint;

export interface InfluxPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly timestampNs: bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The integer field value for `value`, truncated as the SDK truncates integer instruments, or
 * undefined when it is not finite or outside int64.
 */
export function integerField(value: number): bigint | undefined {
  if (!Number.isFinite(value)) return undefined;
  const integer = BigInt(Math.trunc(value));
  return integer < INT64_MIN || integer > INT64_MAX ? undefined : integer;
}

// The shared encoder escapes measurements and tags but writes float fields only, so it writes
// the series key, ended by this fixed field, which is then cut off.
const PROBE_FIELDS = { p: 0 };
const PROBE_TEXT = ' p=0';

/**
 * The point as one line (no newline): the series key by the shared encoder, with tags in key
 * order (as InfluxDB prefers them), then the fields in key order and the timestamp. Throws
 * {@link LineProtocolEncodeError} for a non-finite float or a point without fields.
 */
export function encodeInfluxPoint(point: InfluxPoint, stats?: EncodeStats): string {
  const keys = Object.keys(point.fields).sort();
  if (keys.length === 0) {
    throw new LineProtocolEncodeError(`${point.measurement}: a line needs at least one field`);
  }
  let fields = '';
  for (const key of keys) {
    const value = point.fields[key] as FieldValue;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new LineProtocolEncodeError(`${point.measurement}: field ${key} is ${value}`);
    }
    fields += `${fields === '' ? '' : ','}${escapeFieldKey(key, stats)}=${value}${typeof value === 'bigint' ? 'i' : ''}`;
  }
  const probe = {
    measurement: point.measurement,
    tags: sortedTags(point.tags),
    fields: PROBE_FIELDS,
  };
  const seriesKey = encodeStandardLine(probe, stats).slice(0, -PROBE_TEXT.length);
  return `${seriesKey} ${fields} ${point.timestampNs}`;
}

function sortedTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const sorted: Record<string, string> = {};
  // Code-unit order is byte order for the ASCII keys InfluxDB users have.
  for (const key of Object.keys(tags).sort()) sorted[key] = tags[key] as string;
  return sorted;
}

/**
 * Field keys are metric names (which the SDK limits to letters, digits and `_.-/`), fixed
 * words and bucket bounds, so this rarely changes anything: `,` `=` and space are escaped, and
 * a backslash or control character, which readers take differently, becomes `_` and is
 * counted, as the encoder does in names.
 */
function escapeFieldKey(key: string, stats: EncodeStats | undefined): string {
  return key.replace(/[,= \\]|\p{Cc}/gu, (c) => {
    if (c === ',' || c === '=' || c === ' ') return `\\${c}`;
    if (stats !== undefined) stats.replacedChars++;
    return '_';
  });
}

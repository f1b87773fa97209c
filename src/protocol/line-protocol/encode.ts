// InfluxDB line-protocol encoding. Pure: samples in, text out; the bytes are written by
// line-buffer.ts (test/helpers/reference-line-protocol.ts holds the same rules written the plain
// way, which the tests compare it with).
//
// Every line means the same to InfluxDB 1.x, 2.x and 3.x:
// - commas, spaces and (outside the measurement) equals signs are backslash-escaped;
// - backslashes, control characters and lone surrogates cannot be carried portably (1.x and 2.x
//   read `\\` differently, a trailing `\` escapes the delimiter, a newline splits the line), so in
//   names and tag values each one is replaced by `_` and counted;
// - empty tag values are left out (InfluxDB rejects `k=`);
// - field keys are sorted in byte order; numbers use the shortest form that parses back to the
//   same float64; NaN and ±Infinity are refused.
//
// Two variants differ in tag values only. `encodeLine`, `encodeLineAt` and `encodeLineProtocol`
// write what a NetBird client pushes: NetBird's deployed Go ingest splits lines on raw spaces and
// commas and ignores escapes, so an escaped space or comma in a tag value would get the line
// refused; they are replaced by `_` (and counted) instead. `encodeStandardLine` escapes them, for
// arbitrary attributes bound for a real InfluxDB, where the text must survive unchanged.
import type { Sample } from '../schema.js';
import { COMMA, NEWLINE, SPACE } from './chars.js';
import {
  LineBuffer,
  NETBIRD_TAG_VALUES,
  STANDARD_TAG_VALUES,
  type TagValueStyle,
} from './line-buffer.js';

export interface EncodeStats {
  /** Characters replaced by `_` because they cannot be carried portably. */
  replacedChars: number;
}

export class LineProtocolEncodeError extends Error {
  override name = 'LineProtocolEncodeError';
}

function byteOrder(a: string, b: string): number {
  // Code-unit order equals byte order for the ASCII keys InfluxDB users have.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes one line (without its newline) into `out`, stamped with `timestampNs`. Checks come in
 * the order the text is written, so on an error the replacements counted so far are those of
 * the string encoder before it.
 */
function writeLine(
  out: LineBuffer,
  sample: Sample,
  timestampNs: bigint | undefined,
  style: TagValueStyle,
): void {
  const measurement = sample.measurement;
  if (measurement === '') throw new LineProtocolEncodeError('empty measurement name');
  out.measurement(measurement);
  const tags = sample.tags;
  for (const key in tags) {
    const value = tags[key];
    if (value === undefined || value === '' || key === '') continue;
    out.tag(key, value, style);
  }
  // Fast path: fields already in byte order (the schema writes them so) and all finite go out
  // as they come; otherwise the written part is undone and the fields are sorted first.
  const fields = sample.fields;
  const fieldsStart = out.length;
  const replacedBefore = out.replaced;
  let previous = '';
  let separator = SPACE; // then commas
  for (const key in fields) {
    const value = fields[key] as number;
    if (key < previous || !Number.isFinite(value)) {
      out.length = fieldsStart;
      out.replaced = replacedBefore;
      separator = 0;
      break;
    }
    out.fieldKey(separator, key);
    out.number(value);
    separator = COMMA;
    previous = key;
  }
  if (separator !== COMMA) writeSortedFields(out, sample);
  if (timestampNs !== undefined) {
    out.reserve(1);
    out.byte(SPACE);
    out.timestamp(timestampNs);
  }
}

function writeSortedFields(out: LineBuffer, sample: Sample): void {
  const fields = sample.fields;
  const keys = Object.keys(fields);
  if (keys.length === 0) {
    throw new LineProtocolEncodeError(`${sample.measurement}: a line needs at least one field`);
  }
  keys.sort(byteOrder);
  let separator = SPACE;
  for (const key of keys) {
    const value = fields[key] as number;
    if (!Number.isFinite(value)) {
      throw new LineProtocolEncodeError(
        `${sample.measurement}: field ${key} is ${value}; NaN and Infinity cannot be written`,
      );
    }
    out.fieldKey(separator, key);
    out.number(value);
    separator = COMMA;
  }
}

/** Kept between single-line encodes; dropped when a long line made it grow past this. */
const SCRATCH_KEEP_BYTES = 64 * 1024;
let scratch: LineBuffer | undefined;

function encodeOne(
  sample: Sample,
  timestampNs: bigint | undefined,
  style: TagValueStyle,
  stats: EncodeStats | undefined,
): string {
  // Taken while in use, so a re-entrant call (from a getter on the sample) gets its own.
  const out = scratch ?? new LineBuffer(256);
  scratch = undefined;
  out.reset();
  try {
    writeLine(out, sample, timestampNs, style);
    return out.toString();
  } finally {
    if (stats !== undefined) stats.replacedChars += out.replaced;
    if (out.bytes.length <= SCRATCH_KEEP_BYTES) scratch = out;
  }
}

/** One line as a NetBird client pushes it (no space or comma in tag values), without newline. */
export function encodeLine(sample: Sample, stats?: EncodeStats): string {
  return encodeOne(sample, sample.timestampNs, NETBIRD_TAG_VALUES, stats);
}

/**
 * {@link encodeLine} for `sample` stamped with `timestampNs` (its own timestamp, if any, is
 * ignored).
 */
export function encodeLineAt(sample: Sample, timestampNs: bigint, stats?: EncodeStats): string {
  return encodeOne(sample, timestampNs, NETBIRD_TAG_VALUES, stats);
}

/**
 * One line with standard escaping: spaces and commas in tag values are backslash-escaped, so
 * InfluxDB stores them as they are. Not for NetBird's Go ingest, which would refuse such lines.
 */
export function encodeStandardLine(sample: Sample, stats?: EncodeStats): string {
  return encodeOne(sample, sample.timestampNs, STANDARD_TAG_VALUES, stats);
}

/** A first guess at a body's size, so a big body is rarely copied while it grows. */
const BYTES_PER_LINE_GUESS = 256;
const MAX_INITIAL_BYTES = 64 * 1024 * 1024;

/**
 * The buffer of the last string body, reused by the next while the garbage collector has not
 * taken it: allocating a new 20 MiB buffer per body costs more than filling it. Held weakly,
 * so an idle process keeps nothing.
 */
let lastBody: WeakRef<LineBuffer> | undefined;

function bodyBuffer(samples: Iterable<Sample>): LineBuffer {
  const kept = lastBody?.deref();
  // Taken while in use, so a re-entrant call (from a generator of samples) gets its own.
  lastBody = undefined;
  if (kept !== undefined) {
    kept.reset();
    return kept;
  }
  const guess = Array.isArray(samples) ? samples.length * BYTES_PER_LINE_GUESS : 16 * 1024;
  return new LineBuffer(Math.min(guess, MAX_INITIAL_BYTES));
}

function writeBody(out: LineBuffer, samples: Iterable<Sample>, stats: EncodeStats | undefined) {
  try {
    for (const sample of samples) {
      writeLine(out, sample, sample.timestampNs, NETBIRD_TAG_VALUES);
      out.reserve(1);
      out.byte(NEWLINE);
    }
  } finally {
    if (stats !== undefined) stats.replacedChars += out.replaced;
  }
}

/** Newline-terminated lines, one per sample, as {@link encodeLine} writes them. */
export function encodeLineProtocol(samples: Iterable<Sample>, stats?: EncodeStats): string {
  const out = bodyBuffer(samples);
  try {
    writeBody(out, samples, stats);
    return out.toString();
  } finally {
    lastBody = new WeakRef(out);
  }
}

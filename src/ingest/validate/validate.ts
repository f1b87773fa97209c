import { isUtf8 } from 'node:buffer';
import {
  checkFieldValue,
  checkTag,
  describeViolation,
  MAX_DURATION_SECONDS,
  MAX_TAG_VALUE_BYTES,
  MEASUREMENTS,
  type MeasurementSchema,
  type SchemaViolation,
} from '../../protocol/schema.js';

/**
 * The ingest's check of pushed line protocol: pure, streaming, and strict enough that whatever
 * it passes on is accepted by InfluxDB 1.6 (and 2.x/3.x, VictoriaMetrics).
 *
 * - One invalid line rejects the whole body; the error names the first bad line (1-based) and
 *   why, in the reference ingest's words ("unknown measurement", "negative value", ...).
 * - Tag values are not checked against the enumerations (older Go clients send
 *   `connection_type=ice`), only for length, characters, escapes and UTF-8.
 * - Empty tag values (the Go client writes `peer_id=` before it knows its id) are dropped from
 *   the line rather than refused, so a Go client's buffer never becomes a poison batch. Leading
 *   and trailing whitespace is trimmed; empty lines and `#` comments are skipped. Every other
 *   line is passed on byte for byte.
 *
 * Speed: the body is checked as fast as it can be gunzipped. The scan works on the bytes in one
 * pass (a loop over a Buffer is about three times faster than `charCodeAt` over a string, and
 * nothing has to be decoded): names are compared with precomputed bytes, the expected next key
 * first; only tag values holding non-ASCII bytes are checked for UTF-8.
 */

export type ValidationReason =
  | SchemaViolation['kind']
  | 'invalid line protocol'
  | 'invalid encoding'
  | 'line too long'
  | 'too many lines'
  | 'no valid lines'
  | 'invalid tag'
  | 'duplicate tag'
  | 'invalid field'
  | 'duplicate field'
  | 'invalid field value'
  | 'invalid timestamp';

/** Every reason, e.g. to pre-declare metric series. */
export const VALIDATION_REASONS: readonly ValidationReason[] = [
  'invalid line protocol',
  'invalid encoding',
  'line too long',
  'too many lines',
  'no valid lines',
  'unknown measurement',
  'invalid tag',
  'unknown tag',
  'duplicate tag',
  'invalid tag value',
  'tag value too long',
  'invalid field',
  'unknown field',
  'duplicate field',
  'missing field',
  'invalid field value',
  'non-finite value',
  'negative value',
  'too large',
  'invalid timestamp',
];

export interface ValidationFailure {
  readonly ok: false;
  /** 1-based number of the first bad line (0 when no single line is to blame). */
  readonly line: number;
  readonly reason: ValidationReason;
  /** `line N: <reason>: <detail>`. */
  readonly message: string;
}

export interface ValidationSuccess {
  readonly ok: true;
  /** Lines passed on. */
  readonly lines: number;
  /** Lines passed on with a change (empty tags dropped, whitespace trimmed, time stamped). */
  readonly normalisedLines: number;
  /** Empty and comment lines left out. */
  readonly skippedLines: number;
  /** Empty tag values left out. */
  readonly droppedEmptyTags: number;
  /** The UTF-8 bytes to pass on, as consecutive pieces (mostly views of the input chunks). */
  readonly pieces: readonly Buffer[];
  /** Total bytes of `pieces`. */
  readonly byteLength: number;
  /** The same as one string: lines, each ending in `\n`. */
  readonly output: string;
}

export type ValidationResult = ValidationSuccess | ValidationFailure;

export interface LineValidatorOptions {
  /** Refuse bodies with more lines than this (empty and comment lines count). Default: no limit. */
  maxLines?: number;
  /** Refuse lines longer than this many bytes. Default {@link DEFAULT_MAX_LINE_LENGTH}. */
  maxLineLength?: number;
  /**
   * Nanosecond timestamp appended to lines that have none (for storage that is imported later,
   * where the importer's clock would be wrong). Default: such lines are passed on without one.
   */
  missingTimestamp?: bigint;
}

/** A valid line is well under 2 KiB (8 tags of at most 64 bytes); this leaves room for escapes. */
export const DEFAULT_MAX_LINE_LENGTH = 8192;

/** Validates a whole body at once (a string, or bytes that must be UTF-8). */
export function validateLineProtocol(
  body: string | Uint8Array,
  options?: LineValidatorOptions,
): ValidationResult {
  const validator = new LineValidator(options);
  validator.push(body);
  return validator.end();
}

// ---------------------------------------------------------------- compiled schema

/** A name to compare against: its bytes (plus the delimiter for keys), as 32-bit words too. */
interface Name {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

interface CompiledMeasurement {
  readonly bytes: Name;
  readonly schema: MeasurementSchema;
  readonly tags: readonly string[];
  /** `key=` of each tag. */
  readonly tagBytes: readonly Name[];
  readonly fields: readonly string[];
  readonly fieldBytes: readonly Name[];
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

function name(text: string): Name {
  const bytes = ascii(text);
  const words = new Int32Array(bytes.length >>> 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < words.length; k++) words[k] = view.getInt32(k * 4, true);
  return { bytes, words };
}

const COMPILED: readonly CompiledMeasurement[] = Object.entries(MEASUREMENTS).map(
  ([measurement, schema]) => {
    // Seen tags and fields are tracked as bits of a 32-bit integer.
    if (schema.tags.length > 31 || schema.fields.length > 31) {
      throw new Error(`${measurement}: more than 31 tags or fields`);
    }
    return {
      bytes: name(measurement),
      schema,
      tags: schema.tags,
      tagBytes: schema.tags.map((tag) => name(`${tag}=`)),
      fields: schema.fields,
      fieldBytes: schema.fields.map((field) => name(`${field}=`)),
    };
  },
);

/** Values with at most this many integer digits, no sign and no positive exponent are under the cap. */
const FAST_INT_DIGITS = String(Math.trunc(MAX_DURATION_SECONDS)).length - 1;
/** InfluxDB's nanosecond time range is ±(2^63 - 2). */
const MAX_TIMESTAMP = ascii('9223372036854775806');
const QUOTE_LIMIT = 64;

const NL = 0x0a;
const SPACE = 0x20;
const HASH = 0x23;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const EQ = 0x3d;
const UPPER_E = 0x45;
const BACKSLASH = 0x5c;
const LOWER_E = 0x65;

/** What a byte means inside a tag value. */
const ORDINARY = 0;
const ENDS_VALUE = 1;
const ESCAPE = 2;
const FORBIDDEN = 3;
const NON_ASCII = 4;
const TAG_VALUE_BYTES = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 0x20; c++) t[c] = FORBIDDEN;
  t[0x7f] = FORBIDDEN;
  t[EQ] = FORBIDDEN;
  t[COMMA] = ENDS_VALUE;
  t[SPACE] = ENDS_VALUE;
  t[BACKSLASH] = ESCAPE;
  for (let c = 0x80; c < 0x100; c++) t[c] = NON_ASCII;
  return t;
})();

const KEEP = 0;
const CHANGED = 1;
const SKIP = 2;
const FAIL = 3;
type LineOutcome = typeof KEEP | typeof CHANGED | typeof SKIP | typeof FAIL;

const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------- validator

class Validated implements ValidationSuccess {
  readonly ok = true;
  #output: string | undefined;

  constructor(
    readonly pieces: readonly Buffer[],
    readonly byteLength: number,
    readonly lines: number,
    readonly normalisedLines: number,
    readonly skippedLines: number,
    readonly droppedEmptyTags: number,
  ) {}

  get output(): string {
    this.#output ??= Buffer.concat(this.pieces as Buffer[], this.byteLength).toString('utf8');
    return this.#output;
  }
}

/**
 * Streaming validator: `push` chunks as they arrive, then `end`. Stops at the first bad line
 * (`push` returns false from then on) and keeps only what it will pass on.
 */
export class LineValidator {
  readonly #maxLines: number;
  readonly #maxLineLength: number;
  readonly #stamp: Buffer | undefined;

  #pieces: Buffer[] = [];
  #bytes = 0;
  #carry: Buffer = EMPTY;
  #lineNo = 0;
  #lines = 0;
  #normalised = 0;
  #skipped = 0;
  #droppedTags = 0;
  #failure: ValidationFailure | undefined;
  #ended = false;

  // Per line: ranges to cut out (pairs of start, end; a line has at most 31 tags) and the
  // rewritten line.
  readonly #drops = new Int32Array(64);
  #rewritten: Buffer = EMPTY;

  constructor(options: LineValidatorOptions = {}) {
    this.#maxLines = options.maxLines ?? Number.POSITIVE_INFINITY;
    this.#maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    const stamp = options.missingTimestamp;
    this.#stamp = stamp === undefined ? undefined : Buffer.from(` ${stamp}`);
  }

  /** The failure so far, if any. */
  get failure(): ValidationFailure | undefined {
    return this.#failure;
  }

  /** Lines seen so far (including empty and comment lines). */
  get linesSeen(): number {
    return this.#lineNo;
  }

  /**
   * Validates the complete lines of `chunk`; false once the body is known to be invalid. The
   * result keeps views of `chunk` (no copy), so the caller must not change it afterwards.
   */
  push(chunk: Uint8Array | string): boolean {
    if (this.#ended) throw new Error('LineValidator: push after end');
    if (this.#failure !== undefined) return false;
    let b: Buffer;
    if (typeof chunk === 'string') b = Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) b = chunk;
    else b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Kept pieces are views of the chunk; a small view must not pin a much larger buffer.
    if (b.buffer.byteLength > 65536 && b.byteLength * 4 < b.buffer.byteLength) b = Buffer.from(b);
    this.#chunk(b);
    return this.#failure === undefined;
  }

  /** Finishes the body: the lines to pass on, or why the body is refused. */
  end(): ValidationResult {
    if (!this.#ended) {
      this.#ended = true;
      if (this.#failure === undefined && this.#carry.length > 0) {
        const line = this.#carry;
        this.#carry = EMPTY;
        this.#standalone(line);
      }
      if (this.#failure === undefined && this.#lines === 0) {
        this.#fail(0, 'no valid lines', 'no valid lines');
      }
    }
    if (this.#failure !== undefined) return this.#failure;
    return new Validated(
      this.#pieces,
      this.#bytes,
      this.#lines,
      this.#normalised,
      this.#skipped,
      this.#droppedTags,
    );
  }

  #chunk(b: Buffer): void {
    let pos = 0;
    if (this.#carry.length > 0) {
      const nl = b.indexOf(NL);
      if (nl < 0) {
        this.#carry = Buffer.concat([this.#carry, b]);
        if (this.#carry.length > this.#maxLineLength) this.#tooLong(this.#lineNo + 1);
        return;
      }
      const line = Buffer.concat([this.#carry, b.subarray(0, nl)]);
      this.#carry = EMPTY;
      if (!this.#standalone(line)) return;
      pos = nl + 1;
    }
    const maxLength = this.#maxLineLength;
    const dv = view(b);
    let copyStart = pos;
    while (true) {
      const nl = b.indexOf(NL, pos);
      if (nl < 0) break;
      if (++this.#lineNo > this.#maxLines) {
        this.#tooMany();
        return;
      }
      if (nl - pos > maxLength) {
        this.#tooLong(this.#lineNo);
        return;
      }
      const outcome = this.#line(b, dv, pos, nl);
      if (outcome !== KEEP) {
        if (outcome === FAIL) return;
        if (pos > copyStart) this.#keep(b.subarray(copyStart, pos));
        if (outcome === CHANGED) this.#keep(this.#rewritten);
        copyStart = nl + 1;
      }
      pos = nl + 1;
    }
    if (pos > copyStart) this.#keep(b.subarray(copyStart, pos));
    if (pos < b.length) {
      // Copied: the rest of the chunk is not kept, so the carry should not pin it.
      this.#carry = Buffer.from(b.subarray(pos));
      if (this.#carry.length > maxLength) this.#tooLong(this.#lineNo + 1);
    }
  }

  /** One line in its own buffer (it spanned two chunks, or is the unterminated last one). */
  #standalone(line: Buffer): boolean {
    if (++this.#lineNo > this.#maxLines) return this.#tooMany();
    if (line.length > this.#maxLineLength) return this.#tooLong(this.#lineNo);
    const outcome = this.#line(line, view(line), 0, line.length);
    if (outcome === KEEP) {
      this.#keep(line);
      this.#keep(NEWLINE);
    } else if (outcome === CHANGED) {
      this.#keep(this.#rewritten);
    }
    return outcome !== FAIL;
  }

  #keep(piece: Buffer): void {
    this.#pieces.push(piece);
    this.#bytes += piece.length;
  }

  /** Checks the line b[a, z) (without its newline). */
  #line(b: Buffer, dv: DataView, a: number, z: number): LineOutcome {
    let start = a;
    let end = z;
    if (isBlank(b[start]!)) while (start < end && isBlank(b[start]!)) start++;
    if (end > start && isBlank(b[end - 1]!)) while (end > start && isBlank(b[end - 1]!)) end--;
    if (start === end || b[start] === HASH) {
      this.#skipped++;
      return SKIP;
    }
    const drops = this.#drops;
    let dropped = 0;

    // Measurement: one of the allowlisted names, followed by `,` or ` `.
    let m: CompiledMeasurement | undefined;
    for (let k = 0; k < COMPILED.length; k++) {
      const candidate = COMPILED[k]!;
      const n = candidate.bytes.bytes.length;
      if (start + n < end) {
        const d = b[start + n];
        if ((d === COMMA || d === SPACE) && sameBytes(b, dv, start, candidate.bytes)) {
          m = candidate;
          break;
        }
      }
    }
    if (m === undefined) return this.#badMeasurement(b, start, end);
    let i = start + m.bytes.bytes.length;

    // Tags: `,key=value` until the first unescaped space.
    const tagBytes = m.tagBytes;
    let seenTags = 0;
    let expected = 0;
    while (b[i] === COMMA) {
      const keyStart = i + 1;
      let t =
        expected < tagBytes.length && keyAt(b, dv, keyStart, end, tagBytes[expected]!)
          ? expected
          : -1;
      if (t < 0) {
        for (let k = 0; k < tagBytes.length; k++) {
          if (keyAt(b, dv, keyStart, end, tagBytes[k]!)) {
            t = k;
            break;
          }
        }
        if (t < 0) return this.#badKey(b, keyStart, end, 'tag');
      }
      if ((seenTags & (1 << t)) !== 0) {
        return this.#fail(this.#lineNo, 'duplicate tag', `duplicate tag: ${m.tags[t]}`);
      }
      seenTags |= 1 << t;
      expected = t + 1;
      const v = keyStart + tagBytes[t]!.bytes.length;
      let e = v;
      let escapes = 0;
      let nonAscii = false;
      // Four ordinary bytes per step while they last: none below 0x21, none from 0x7f, and no
      // `,` `=` `\\` (bytes below 0x21 or equal to one of these set a high bit).
      while (e + 4 < end) {
        const x = dv.getInt32(e, true);
        const comma = x ^ 0x2c2c2c2c;
        const eq = x ^ 0x3d3d3d3d;
        const bs = x ^ 0x5c5c5c5c;
        const special =
          ((x - 0x21212121) & ~x) |
          ((x + 0x01010101) & ~x) |
          x |
          ((comma - 0x01010101) & ~comma) |
          ((eq - 0x01010101) & ~eq) |
          ((bs - 0x01010101) & ~bs);
        if ((special & 0x80808080) !== 0) break;
        e += 4;
      }
      while (true) {
        if (e >= end) return this.#noFields();
        const c = b[e]!;
        // Digits, letters, `.`, `-`, `_` first: one range test for most bytes of a value.
        if ((c >= 0x2d && c <= 0x3c) || (c >= 0x3e && c <= 0x7e && c !== BACKSLASH)) {
          e++;
          continue;
        }
        const kind = TAG_VALUE_BYTES[c]!;
        if (kind === ORDINARY) {
          e++;
        } else if (kind === ENDS_VALUE) {
          break;
        } else if (kind === NON_ASCII) {
          nonAscii = true;
          e++;
        } else if (kind === ESCAPE) {
          const next = e + 1 < end ? b[e + 1] : -1;
          if (next !== COMMA && next !== SPACE && next !== EQ) {
            return this.#badTagValue(m.tags[t]!, 'contains a backslash that escapes nothing');
          }
          escapes++;
          e += 2;
        } else {
          return this.#badTagValue(
            m.tags[t]!,
            b[e] === EQ ? 'contains an unescaped "="' : 'contains a control character',
          );
        }
      }
      if (e === v) {
        // `,key=` with nothing after it: InfluxDB refuses it, so leave it out.
        drops[dropped++] = i;
        drops[dropped++] = e;
      } else {
        if (nonAscii && !isUtf8(b.subarray(v, e))) {
          return this.#fail(
            this.#lineNo,
            'invalid encoding',
            `invalid encoding: ${m.tags[t]} is not UTF-8`,
          );
        }
        if (e - v - escapes > MAX_TAG_VALUE_BYTES) {
          const value = b.toString('utf8', v, e).replace(/\\([ ,=])/g, '$1');
          const violation = checkTag(m.schema, m.tags[t]!, value, false);
          if (violation !== undefined) return this.#violation(violation);
        }
      }
      i = e;
    }
    i++; // the space before the fields

    // Fields: `key=<float>` separated by commas.
    const fieldBytes = m.fieldBytes;
    let seenFields = 0;
    expected = 0;
    let c = 0;
    while (true) {
      let f =
        expected < fieldBytes.length && keyAt(b, dv, i, end, fieldBytes[expected]!) ? expected : -1;
      if (f < 0) {
        for (let k = 0; k < fieldBytes.length; k++) {
          if (keyAt(b, dv, i, end, fieldBytes[k]!)) {
            f = k;
            break;
          }
        }
        if (f < 0) return this.#badKey(b, i, end, 'field');
      }
      if ((seenFields & (1 << f)) !== 0) {
        return this.#fail(this.#lineNo, 'duplicate field', `duplicate field: ${m.fields[f]}`);
      }
      seenFields |= 1 << f;
      expected = f + 1;
      const v = i + fieldBytes[f]!.bytes.length;
      // -?digits(.digits)?([eE][+-]?digits)? : what %g and JavaScript print; no `i`, `u`, bool, string.
      let p = v;
      c = p < end ? b[p]! : -1;
      const negative = c === MINUS;
      if (negative) c = ++p < end ? b[p]! : -1;
      const intStart = p;
      while (c >= ZERO && c <= NINE) c = ++p < end ? b[p]! : -1;
      const intDigits = p - intStart;
      let ok = intDigits > 0;
      if (ok && c === DOT) {
        const fracStart = ++p;
        while (p + 4 <= end && fourDigits(dv.getInt32(p, true))) p += 4;
        c = p < end ? b[p]! : -1;
        while (c >= ZERO && c <= NINE) c = ++p < end ? b[p]! : -1;
        ok = p > fracStart;
      }
      let growingExponent = false;
      if (ok && (c === LOWER_E || c === UPPER_E)) {
        c = ++p < end ? b[p]! : -1;
        growingExponent = c !== MINUS;
        if (c === PLUS || c === MINUS) c = ++p < end ? b[p]! : -1;
        const expStart = p;
        while (c >= ZERO && c <= NINE) c = ++p < end ? b[p]! : -1;
        ok = p > expStart;
      }
      if (!ok || (c !== -1 && c !== COMMA && c !== SPACE)) {
        return this.#fail(
          this.#lineNo,
          'invalid field value',
          `invalid field value: ${m.fields[f]}=${quote(b, v, fieldEnd(b, v, end))}`,
        );
      }
      if (negative || growingExponent || intDigits > FAST_INT_DIGITS) {
        const violation = checkFieldValue(m.fields[f]!, Number(b.toString('latin1', v, p)));
        if (violation !== undefined) return this.#violation(violation);
      }
      i = p;
      if (c !== COMMA) break;
      i++;
    }

    // Optional timestamp: an integer in InfluxDB's nanosecond range.
    let stamp = false;
    if (c === SPACE) {
      let p = i + 1;
      if (p < end && b[p] === MINUS) p++;
      let digits = p;
      while (p + 4 <= end && fourDigits(dv.getInt32(p, true))) p += 4;
      while (p < end && b[p]! >= ZERO && b[p]! <= NINE) p++;
      if (p === digits || p !== end) {
        return this.#fail(
          this.#lineNo,
          'invalid timestamp',
          `invalid timestamp: ${quote(b, i + 1, end)}`,
        );
      }
      while (digits < end - 1 && b[digits] === ZERO) digits++;
      const n = end - digits;
      if (
        n > MAX_TIMESTAMP.length ||
        (n === MAX_TIMESTAMP.length && exceeds(b, digits, MAX_TIMESTAMP))
      ) {
        return this.#fail(
          this.#lineNo,
          'invalid timestamp',
          `invalid timestamp: ${quote(b, i + 1, end)} is outside ±${Buffer.from(MAX_TIMESTAMP).toString()} ns`,
        );
      }
    } else {
      stamp = this.#stamp !== undefined;
    }

    this.#lines++;
    if (dropped === 0 && start === a && end === z && !stamp) return KEEP;
    const parts: Buffer[] = [];
    let from = start;
    for (let k = 0; k < dropped; k += 2) {
      parts.push(b.subarray(from, drops[k]));
      from = drops[k + 1]!;
    }
    parts.push(b.subarray(from, end));
    if (stamp) parts.push(this.#stamp!);
    parts.push(NEWLINE);
    this.#rewritten = Buffer.concat(parts);
    this.#droppedTags += dropped / 2;
    this.#normalised++;
    return CHANGED;
  }

  #badMeasurement(b: Buffer, start: number, end: number): LineOutcome {
    // Like the reference: a line without a space between key and fields is not line protocol.
    if (unescapedDelimiter(b, start, end, true) >= end) return this.#noFields();
    const stop = unescapedDelimiter(b, start, end, false);
    return this.#violation({ kind: 'unknown measurement', measurement: clip(b, start, stop) });
  }

  #badKey(b: Buffer, start: number, end: number, what: 'tag' | 'field'): LineOutcome {
    let i = start;
    while (i < end) {
      const c = b[i];
      if (c === EQ || c === COMMA || c === SPACE) break;
      i += c === BACKSLASH ? 2 : 1;
    }
    const stop = Math.min(i, end);
    if (i >= end || b[i] !== EQ) {
      return this.#fail(
        this.#lineNo,
        `invalid ${what}`,
        `invalid ${what}: ${quote(b, start, stop)}`,
      );
    }
    const key = clip(b, start, stop);
    if (what === 'field') return this.#violation({ kind: 'unknown field', field: key });
    return this.#violation({ kind: 'unknown tag', tag: key });
  }

  #badTagValue(key: string, why: string): LineOutcome {
    return this.#fail(this.#lineNo, 'invalid tag value', `invalid tag value: ${key} ${why}`);
  }

  #noFields(): LineOutcome {
    return this.#fail(this.#lineNo, 'invalid line protocol', 'invalid line protocol: no fields');
  }

  #violation(v: SchemaViolation): LineOutcome {
    return this.#fail(this.#lineNo, v.kind, describeViolation(v));
  }

  #tooMany(): false {
    this.#fail(this.#lineNo, 'too many lines', `too many lines: more than ${this.#maxLines}`);
    return false;
  }

  #tooLong(line: number): false {
    this.#fail(line, 'line too long', `line too long: more than ${this.#maxLineLength} bytes`);
    return false;
  }

  #fail(line: number, reason: ValidationReason, detail: string): typeof FAIL {
    this.#failure = {
      ok: false,
      line,
      reason,
      message: line > 0 ? `line ${line}: ${detail}` : detail,
    };
    this.#pieces = [];
    this.#bytes = 0;
    this.#carry = EMPTY;
    return FAIL;
  }
}

/** b[p...] is `key=` (and the key is not the whole rest of the line). */
/** b[p...] is `key=` (`key` holds the `=`), and the line goes on after it. */
function keyAt(b: Buffer, dv: DataView, p: number, end: number, key: Name): boolean {
  return p + key.bytes.length < end && sameBytes(b, dv, p, key);
}

/** b[p...] starts with `expected`: four bytes per step, then the rest one by one. */
function sameBytes(b: Buffer, dv: DataView, p: number, expected: Name): boolean {
  const words = expected.words;
  for (let k = 0; k < words.length; k++)
    if (dv.getInt32(p + k * 4, true) !== words[k]) return false;
  const bytes = expected.bytes;
  for (let j = words.length * 4; j < bytes.length; j++) if (b[p + j] !== bytes[j]) return false;
  return true;
}

/** Position of the first unescaped ` ` (or `,` too unless `spaceOnly`) in b[start, end). */
function unescapedDelimiter(b: Buffer, start: number, end: number, spaceOnly: boolean): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c === SPACE || (c === COMMA && !spaceOnly)) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  return end;
}

function fieldEnd(b: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && b[i] !== COMMA && b[i] !== SPACE) i++;
  return i;
}

/** b[at, at + limit.length) > limit, for digit strings of the same length. */
function exceeds(b: Buffer, at: number, limit: Uint8Array): boolean {
  for (let k = 0; k < limit.length; k++) {
    const d = b[at + k]! - limit[k]!;
    if (d !== 0) return d > 0;
  }
  return false;
}

function view(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Four ASCII digits: high nibble 3 in each byte, and adding 6 carries out of no low nibble. */
function fourDigits(x: number): boolean {
  return (x & 0xf0f0f0f0) === 0x30303030 && ((x + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Client text for a message, bounded. */
function clip(b: Buffer, start: number, end: number): string {
  const text = b.toString('utf8', start, Math.min(end, start + QUOTE_LIMIT * 4));
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

function quote(b: Buffer, start: number, end: number): string {
  return JSON.stringify(clip(b, start, end));
}

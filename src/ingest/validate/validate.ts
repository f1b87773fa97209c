import * as chars from '../../protocol/line-protocol/chars.js';
import * as lineCheck from './line.js';
import { LineScan } from './line-scan.js';
import {
  Validated,
  type ValidationFailure,
  type ValidationReason,
  type ValidationResult,
} from './result.js';
import { view } from './words.js';

// Imported bindings the line loop uses, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use; a module's own constants cost
// nothing.
const { NEWLINE } = chars;
const { CHANGED, checkLine, KEEP, SKIP } = lineCheck;

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

const NEWLINE_BYTES = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/**
 * The line check's state and the newline positions of the chunk being checked, shared by every
 * validator: each is used only within one `push` or `end`, which runs to completion, so no two
 * validators use them at once. The ingest builds a validator per request, most of a few dozen
 * lines; creating their arrays per validator cost more than checking the lines.
 */
const SCAN = new LineScan();
const LINE_ENDS = { at: new Int32Array(256) };

/**
 * The ingest's check of pushed line protocol: pure, streaming, and strict enough that whatever
 * it passes on is accepted by InfluxDB 1.6 (and 2.x/3.x, VictoriaMetrics). `push` chunks as they
 * arrive, then `end`.
 *
 * - One invalid line rejects the whole body; the error names the first bad line (1-based) and
 *   why, in the words of NetBird's Go ingest ("unknown measurement", "negative value", ...), so
 *   clients see the same refusals from either.
 * - Empty tag values (the Go client writes `peer_id=` before it knows its id) are dropped from
 *   the line rather than refused, so a Go client's buffer never becomes a poison batch. Leading
 *   and trailing whitespace is trimmed; empty lines and `#` comments are skipped. Every other
 *   line is passed on byte for byte, and only what is passed on is kept.
 *
 * Speed: the body is checked as fast as it can be gunzipped. The scan works on the bytes in one
 * pass (a loop over a Buffer is about three times faster than `charCodeAt` over a string, and
 * nothing has to be decoded): names are compared with precomputed bytes, the expected next key
 * first; only tag values holding non-ASCII bytes are checked for UTF-8.
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
  /** Where the run of kept lines that {@link #completeLines} left open starts. */
  #openRun = 0;
  #failure: ValidationFailure | undefined;
  #ended = false;

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

  /** One chunk: the line carried over from the last one, the complete lines, the new carry. */
  #chunk(b: Buffer): void {
    const pos = this.#carry.length > 0 ? this.#finishCarry(b) : 0;
    if (pos < 0) return;
    const rest = this.#completeLines(b, pos);
    if (rest < 0) return;
    if (rest > this.#openRun) this.#keepRange(b, this.#openRun, rest);
    if (rest < b.length) this.#saveCarry(b, rest);
  }

  /**
   * Checks the complete lines of b from `pos`: where the unterminated rest begins, or -1 once
   * the body is refused. Runs of kept lines are passed on as one view of the chunk; the last run,
   * from `#openRun`, is left to the caller. Anything else (copies, refusals) happens in other
   * methods, so the engine compiles this loop with the line check inlined.
   */
  #completeLines(b: Buffer, from: number): number {
    const maxLength = this.#maxLineLength;
    const maxLines = this.#maxLines;
    const scan = SCAN;
    const stamp = this.#stamp;
    const dv = view(b);
    const count = findLineEnds(b, from);
    const ends = LINE_ENDS.at;
    scan.forget();
    let pos = from;
    let copyStart = pos;
    // Counted here and stored when the loop is left, as every method it calls expects them.
    let lineNo = this.#lineNo;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const nl = ends[k]!;
      lineNo++;
      if (lineNo > maxLines || nl - pos > maxLength) return this.#refuseAt(lineNo, kept);
      const outcome = checkLine(scan, b, dv, pos, nl, stamp);
      if (outcome === KEEP) {
        kept++;
      } else {
        this.#lineNo = lineNo;
        if (!this.#counted(outcome)) return -1;
        if (pos > copyStart) this.#keepRange(b, copyStart, pos);
        if (outcome === CHANGED) this.#keep(scan.rewritten);
        copyStart = nl + 1;
      }
      pos = nl + 1;
    }
    this.#lineNo = lineNo;
    this.#lines += kept;
    this.#openRun = copyStart;
    return pos;
  }

  /** Copied: the rest of the chunk is not kept, so the carry should not pin it. */
  #saveCarry(b: Buffer, from: number): void {
    this.#carry = Buffer.from(b.subarray(from));
    if (this.#carry.length > this.#maxLineLength) this.#tooLong(this.#lineNo + 1);
  }

  /**
   * Completes the carried line with the start of `b`: where the rest of `b` begins, or -1 when
   * `b` is used up (no newline in it) or the line is refused.
   */
  #finishCarry(b: Buffer): number {
    const nl = b.indexOf(NEWLINE);
    if (nl < 0) {
      this.#carry = Buffer.concat([this.#carry, b]);
      if (this.#carry.length > this.#maxLineLength) this.#tooLong(this.#lineNo + 1);
      return -1;
    }
    const line = Buffer.concat([this.#carry, b.subarray(0, nl)]);
    this.#carry = EMPTY;
    return this.#standalone(line) ? nl + 1 : -1;
  }

  /** One line in its own buffer (it spanned two chunks, or is the unterminated last one). */
  #standalone(line: Buffer): boolean {
    if (++this.#lineNo > this.#maxLines) return this.#tooMany();
    if (line.length > this.#maxLineLength) return this.#tooLong(this.#lineNo);
    SCAN.forget();
    const outcome = checkLine(SCAN, line, view(line), 0, line.length, this.#stamp);
    if (outcome === KEEP) {
      this.#lines++;
      this.#keep(line);
      this.#keep(NEWLINE_BYTES);
      return true;
    }
    if (!this.#counted(outcome)) return false;
    if (outcome === CHANGED) this.#keep(SCAN.rewritten);
    return true;
  }

  /** Counts a line that is not kept as it is; false (and the failure recorded) when invalid. */
  #counted(outcome: number): boolean {
    const s = SCAN;
    if (outcome === SKIP) {
      this.#skipped++;
    } else if (outcome === CHANGED) {
      this.#lines++;
      this.#normalised++;
      this.#droppedTags += s.dropped / 2;
    } else {
      this.#fail(this.#lineNo, s.reason, s.detail);
      return false;
    }
    return true;
  }

  #keepRange(b: Buffer, start: number, end: number): void {
    this.#keep(b.subarray(start, end));
  }

  #keep(piece: Buffer): void {
    this.#pieces.push(piece);
    this.#bytes += piece.length;
  }

  #tooMany(): false {
    this.#fail(this.#lineNo, 'too many lines', `too many lines: more than ${this.#maxLines}`);
    return false;
  }

  /** Line `lineNo` is one too many or too long: -1, the failure recorded. */
  #refuseAt(lineNo: number, kept: number): number {
    this.#lineNo = lineNo;
    this.#lines += kept;
    if (lineNo > this.#maxLines) this.#tooMany();
    else this.#tooLong(lineNo);
    return -1;
  }

  #tooLong(line: number): false {
    this.#fail(line, 'line too long', `line too long: more than ${this.#maxLineLength} bytes`);
    return false;
  }

  #fail(line: number, reason: ValidationReason, detail: string): void {
    this.#failure = {
      ok: false,
      line,
      reason,
      message: line > 0 ? `line ${line}: ${detail}` : detail,
    };
    this.#pieces = [];
    this.#bytes = 0;
    this.#carry = EMPTY;
  }
}

/**
 * Finds the newlines of b from `from` into `LINE_ENDS.at`, returning how many. Searched apart from
 * the checks: Buffer's indexOf is several functions deep, and inlined into the check loop it left
 * the engine no room to inline the line check there.
 */
function findLineEnds(b: Buffer, from: number): number {
  let ends = LINE_ENDS.at;
  let count = 0;
  for (let nl = b.indexOf(NEWLINE, from); nl >= 0; nl = b.indexOf(NEWLINE, nl + 1)) {
    if (count === ends.length) {
      const grown = new Int32Array(ends.length * 2);
      grown.set(ends);
      LINE_ENDS.at = ends = grown;
    }
    ends[count++] = nl;
  }
  return count;
}

// The state of checking one line, shared by the step for each part of it (measurement, tag set,
// field set, timestamp), and how a step says what is wrong with the line.
import { describeViolation, type SchemaViolation } from '../../protocol/schema.js';
import { COMPILED, type CompiledMeasurement } from './compiled-schema.js';
import type { ValidationReason } from './result.js';

/** What a step returns instead of a position when the line is invalid. */
export const FAILED = -1;

const EMPTY = Buffer.alloc(0);

/** A measurement has at most 31 tags (compiled-schema.ts checks), so a tag set has 32 ends. */
const TAG_ENDS = 32;

/**
 * Reused line after line (and by every validator, one check at a time) so that checking a line
 * allocates nothing unless it has to be rewritten or is refused.
 */
export class LineScan {
  /** The line is b[start, end), without surrounding whitespace. */
  b: Buffer = EMPTY;
  dv: DataView = new DataView(EMPTY.buffer, 0, 0);
  start = 0;
  end = 0;
  /** Set by the measurement step. */
  measurement: CompiledMeasurement = COMPILED[0]!;
  /** Empty tags to cut out, as pairs of start and end (a line has at most 31 tags). */
  readonly drops = new Int32Array(64);
  /** Entries of `drops` in use: two per empty tag. */
  dropped = 0;
  /** The line as it is passed on, when it had to change. */
  rewritten: Buffer = EMPTY;
  /** Why the line is refused, once a step returned {@link FAILED}. */
  reason: ValidationReason = 'invalid line protocol';
  detail = '';

  /**
   * Where each tag of the line starts, as the offset of its comma from the line's start, and
   * after the last tag the offset of the space before the fields: `tagCount + 1` entries.
   */
  readonly tagStarts = new Int32Array(TAG_ENDS);
  /** Which of the measurement's tags each of them is. */
  readonly tagIndexes = new Int32Array(TAG_ENDS);
  /** The tags seen before each of them, as bits. */
  readonly tagsSeen = new Int32Array(TAG_ENDS);
  tagCount = 0;
  /**
   * The last line that passed with nothing dropped, in `b`, whose tags the arrays above still
   * describe (a line that repeats its first tags overwrites only the entries after them);
   * `lastB` is empty when there is none.
   */
  lastB: Buffer = EMPTY;
  lastStart = 0;

  begin(b: Buffer, dv: DataView, start: number, end: number): void {
    this.b = b;
    this.dv = dv;
    this.start = start;
    this.end = end;
    this.dropped = 0;
  }

  /** The line just checked is the one the next may repeat the tags of. */
  remember(): void {
    this.lastB = this.b;
    this.lastStart = this.start;
  }

  /**
   * Nothing checked so far may be compared with: the next bytes are another chunk, and a caller
   * may have changed an earlier one since (only what is kept must stay unchanged).
   */
  forget(): void {
    this.lastB = EMPTY;
  }

  fail(reason: ValidationReason, detail: string): typeof FAILED {
    this.reason = reason;
    this.detail = detail;
    return FAILED;
  }

  violation(v: SchemaViolation): typeof FAILED {
    return this.fail(v.kind, describeViolation(v));
  }
}

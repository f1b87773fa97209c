// What validating a body yields: the lines to pass on, or the first bad line and why.
import type { SchemaViolation } from '../../protocol/schema.js';

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

/** A success whose `output` string is only built when asked for (the server never asks). */
export class Validated implements ValidationSuccess {
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

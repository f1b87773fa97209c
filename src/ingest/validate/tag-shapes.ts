// Tag shapes compiled for the validator: a value of its tag's shape is recognised in the same
// pass that finds where it ends, instead of a second pass over its bytes after the scan.
import * as chars from '../../protocol/line-protocol/chars.js';
import * as schema from '../../protocol/schema.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use; a module's own constants cost
// nothing.
const { COMMA, READ_ORDINARY, SPACE, TAG_VALUE_BYTES } = chars;
const { fourLowerHex, fourNameBytes } = words;

/** A byte a value may hold as it is: printable ASCII but `,`, space, `=` and `\`. */
const ORDINARY_BYTE = 1;
/** An ordinary byte of a `name`. */
const NAME_BYTE = 2;
/** An ordinary byte of an `id`. */
const HEX_BYTE = 4;

/** The classes above, by byte. */
const BYTE_CLASSES: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    // Only bytes the full scan passes over without a second look are in any class, so a value
    // the quick test takes is one the full scan takes too.
    if (TAG_VALUE_BYTES[c] !== READ_ORDINARY) continue;
    table[c] =
      ORDINARY_BYTE |
      (schema.isNameChar(c) ? NAME_BYTE : 0) |
      (schema.isLowerHex(c) ? HEX_BYTE : 0);
  }
  return table;
})();

/**
 * One tag's shape as the quick test sees it: one of a closed set of values, or a run of bytes of
 * one class, of a bounded length. Every tag gets an object of this one layout, so the scan's
 * reads of it stay monomorphic whatever the shape.
 */
export interface CompiledShape {
  /** A closed set: the value must be one of `choices`. */
  readonly closed: boolean;
  readonly choices: readonly Uint8Array[];
  /** Otherwise the class bit every byte of the value has in {@link BYTE_CLASSES}. */
  readonly byteClass: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** The full test, for values the quick one does not take; undefined for printable ASCII. */
  readonly shape: schema.TagShape | undefined;
}

export function compileShape(tag: string): CompiledShape {
  const shape = schema.tagShape(tag);
  switch (shape?.kind) {
    case undefined:
    case 'text':
      // The scan itself refuses what is not printable ASCII.
      return compiled(undefined, ORDINARY_BYTE, 1, schema.MAX_TAG_VALUE_BYTES, undefined);
    case 'one of':
      return compiled(quickChoices(shape.values), 0, 0, 0, shape);
    case 'name':
      return compiled(undefined, NAME_BYTE, 1, schema.MAX_NAME_LENGTH, shape);
    case 'id':
      // An empty id is left to the full scan, which drops empty values.
      return compiled(undefined, HEX_BYTE, schema.ID_LENGTH, schema.ID_LENGTH, shape);
  }
}

/** `choices` for a closed set, else the run's class and bounds. */
function compiled(
  choices: readonly Uint8Array[] | undefined,
  byteClass: number,
  minBytes: number,
  max: number,
  shape: schema.TagShape | undefined,
): CompiledShape {
  const closed = choices !== undefined;
  const maxBytes = Math.min(max, schema.MAX_TAG_VALUE_BYTES);
  return { closed, choices: choices ?? [], byteClass, minBytes, maxBytes, shape };
}

/**
 * The values of a closed set the quick test may take as they are: non-empty (an empty value is
 * dropped, not kept), within the length bound and of ordinary bytes only. Any other is left to
 * the full scan.
 */
function quickChoices(values: readonly string[]): Uint8Array[] {
  return values
    .filter((v) => v.length > 0 && v.length <= schema.MAX_TAG_VALUE_BYTES && allOrdinary(v))
    .map(words.ascii);
}

function allOrdinary(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (TAG_VALUE_BYTES[value.charCodeAt(i)] !== READ_ORDINARY) return false;
  }
  return true;
}

/**
 * Where a value of `shape` at b[v...] ends, at the `,` or space after it before `end`; -1 when
 * b[v...] is no such value, and the value must be read in full.
 */
export function shapedValueEnd(
  b: Buffer,
  dv: DataView,
  v: number,
  end: number,
  shape: CompiledShape,
): number {
  if (shape.closed) {
    // Each value with a comma or space after it; most fail on that byte.
    const choices = shape.choices;
    for (let k = 0; k < choices.length; k++) {
      const choice = choices[k]!;
      const n = choice.length;
      const e = v + n;
      if (e >= end || (b[e] !== COMMA && b[e] !== SPACE)) continue;
      let j = 0;
      while (j < n && b[v + j] === choice[j]) j++;
      if (j === n) return e;
    }
    return -1;
  }
  const cls = shape.byteClass;
  const limit = Math.min(v + shape.maxBytes, end);
  let i = v;
  // Four bytes per step while they last, then one by one.
  if (cls === HEX_BYTE) {
    while (i + 4 <= limit && fourLowerHex(dv.getInt32(i, true))) i += 4;
  } else if (cls === NAME_BYTE) {
    while (i + 4 <= limit && fourNameBytes(dv.getInt32(i, true))) i += 4;
  }
  while (i < limit && (BYTE_CLASSES[b[i]!]! & cls) !== 0) i++;
  if (i - v < shape.minBytes || i >= end) return -1;
  const c = b[i];
  return c === COMMA || c === SPACE ? i : -1;
}

// The shared schema as bytes to compare against, so names are matched without decoding text.
import { MEASUREMENTS, type MeasurementSchema } from '../../protocol/schema.js';
import { type CompiledShape, compileShape } from './tag-shapes.js';
import type { Name } from './words.js';
import * as words from './words.js';

// Imported bindings the loops below use, copied once: V8 reads an imported binding through its
// module cell, checking that it is initialised, at every use, which cost the validator about a
// tenth of its speed; a module's own constants cost nothing.
const { name, sameBytes } = words;

export interface CompiledMeasurement {
  readonly bytes: Name;
  readonly schema: MeasurementSchema;
  readonly tags: readonly string[];
  /** `key=` of each tag. */
  readonly tagBytes: readonly Name[];
  /** The shape of each tag's values. */
  readonly tagShapes: readonly CompiledShape[];
  readonly fields: readonly string[];
  readonly fieldBytes: readonly Name[];
}

export const COMPILED: readonly CompiledMeasurement[] = Object.entries(MEASUREMENTS).map(
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
      tagShapes: schema.tags.map((tag) => compileShape(tag)),
      fields: schema.fields,
      fieldBytes: schema.fields.map((field) => name(`${field}=`)),
    };
  },
);

/**
 * The index of the key (`key=`, from `keys`) at b[p...], or -1. Writers put keys in schema
 * order, so the one after the previous key is tried first.
 */
export function findKey(
  b: Buffer,
  dv: DataView,
  p: number,
  end: number,
  keys: readonly Name[],
  expected: number,
): number {
  if (expected < keys.length && keyAt(b, dv, p, end, keys[expected]!)) return expected;
  for (let k = 0; k < keys.length; k++) if (keyAt(b, dv, p, end, keys[k]!)) return k;
  return -1;
}

/** b[p...] is `key=` (`key` holds the `=`), and the line goes on after it. */
function keyAt(b: Buffer, dv: DataView, p: number, end: number, key: Name): boolean {
  return p + key.bytes.length < end && sameBytes(b, dv, p, key);
}

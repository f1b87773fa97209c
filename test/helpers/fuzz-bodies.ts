// Bodies for fuzzing the ingest (test/failure-fuzz.test.ts): valid NetBird lines from the
// schema, the ways real clients and broken ones deviate from them, and blind byte damage.
// Two sources: fast-check arbitraries (shrinkable, for the property run) and a seeded mutator
// over a corpus of valid lines (cheap, for volume).
import fc from 'fast-check';
import { seededRandom } from '../../examples/demo/distributions.js';
import { encodeLine } from '../../src/protocol/line-protocol/encode.js';
import {
  MAX_DURATION_SECONDS,
  MEASUREMENT_NAMES,
  MEASUREMENTS,
  type MeasurementSchema,
  type Sample,
  tagShape,
} from '../../src/protocol/schema.js';

/** Timestamps near now, so real InfluxDB keeps few shards; the edges are added on purpose. */
const NOW_NS = 1_795_000_000_000_000_000n;
const EDGE_TIMESTAMPS = [
  '0',
  '1',
  '-1',
  '9223372036854775806',
  '-9223372036854775806',
  '9223372036854775807',
  '-9223372036854775807',
  '99999999999999999999',
  '0000000000000000000001795000000000000000000',
  '1795000000000000000.5',
  '1e18',
  '+1795000000000000000',
  '--1',
  '',
];
const ODD_NUMBERS = [
  '0',
  '-0',
  '0.0',
  '86400',
  '86400.0',
  '86400.000000001',
  '86401',
  '1e400',
  '-1e400',
  '1e308',
  '1.7976931348623157e308',
  '4.9e-324',
  '1e-400',
  '99999999999999999999999999',
  '0000000000000000000000001',
  '1E5',
  '1e+4',
  '1e-5',
  '1e',
  '1e+',
  '.5',
  '5.',
  '+5',
  '-5',
  '0x10',
  'NaN',
  'nan',
  'Inf',
  '-Infinity',
  '1_000',
  '5i',
  '5u',
  't',
  'true',
  'F',
  '"5"',
  '5 5',
  '',
];
const ODD_CHARS = [
  '\\',
  '\\\\',
  '\\ ',
  '\\,',
  '\\=',
  '\\n',
  ' ',
  ',',
  '=',
  '"',
  "'",
  '#',
  '\t',
  '\r',
  '\n',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u00a0',
  '\u2028',
  'é',
  '😀',
  '\ud800',
  '\udc00',
  '\ufeff',
];

// ---------------------------------------------------------------- fast-check arbitraries

const tagText = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,20}$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_CHARS).map((c) => `a${c}b`) },
  { weight: 1, arbitrary: fc.constant('') },
);

// Character units rather than fc.stringMatching, which is far too slow for this volume.
const NAME_CHAR = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_');
const HEX_DIGIT = fc.constantFrom(...'0123456789abcdef');
const PRINTABLE = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** A value of the tag's shape, as a client that passes the schema writes it. */
function shapedValue(schema: MeasurementSchema, key: string): fc.Arbitrary<string> {
  const known = schema.enums[key];
  const shape = tagShape(key);
  switch (shape?.kind) {
    case 'one of':
      return fc.constantFrom(...shape.values);
    case 'name':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...(known ?? ['relay'])) },
        { weight: 1, arbitrary: fc.string({ unit: NAME_CHAR, minLength: 1, maxLength: 32 }) },
      );
    case 'id':
      return fc.string({ unit: HEX_DIGIT, minLength: 16, maxLength: 16 });
    default:
      return fc.string({ unit: PRINTABLE, maxLength: 20 });
  }
}

function tagsArb(schema: MeasurementSchema): fc.Arbitrary<Record<string, string>> {
  const entries = schema.tags.map((key) => {
    // Mostly values of the tag's shape (which the ingest checks), sometimes odd text.
    const value = fc.oneof(
      { weight: 20, arbitrary: shapedValue(schema, key) },
      { weight: 1, arbitrary: tagText },
    );
    return fc.option(value, { freq: 6, nil: undefined }).map((v) => [key, v] as const);
  });
  return fc.tuple(...entries).map((pairs) => {
    const tags: Record<string, string> = {};
    for (const [key, v] of pairs) if (v !== undefined) tags[key] = v;
    return tags;
  });
}

const durationArb = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: 0, max: MAX_DURATION_SECONDS, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 86_400, 1e-300, 5e-324, 86_400.00000000001, 1e21) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

const timestampArb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: NOW_NS - 10n ** 15n, max: NOW_NS + 10n ** 15n }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0n,
      1n,
      -1n,
      9_223_372_036_854_775_806n,
      -9_223_372_036_854_775_806n,
    ),
  },
);

/** A sample the schema may or may not accept (odd tag text, values over the cap). */
export const sampleArb: fc.Arbitrary<Sample> = fc
  .constantFrom(...MEASUREMENT_NAMES)
  .chain((measurement) => {
    const schema: MeasurementSchema = MEASUREMENTS[measurement];
    return fc.record({
      measurement: fc.constant(measurement),
      tags: tagsArb(schema),
      fields: fc
        .tuple(...schema.fields.map(() => durationArb))
        .map((values) => Object.fromEntries(schema.fields.map((f, i) => [f, values[i] as number]))),
      timestampNs: fc.option(timestampArb, { freq: 8, nil: undefined }),
    });
  });

/** One line as our encoder writes it (always syntactically valid line protocol). */
export const encodedLineArb: fc.Arbitrary<string> = sampleArb.map((s) => encodeLine(s));

/** A way a line gets damaged; applied by {@link mutate} with the given random numbers. */
export type Mutation =
  | 'truncate'
  | 'flip'
  | 'insert-odd'
  | 'odd-number'
  | 'odd-timestamp'
  | 'duplicate-key'
  | 'drop-range'
  | 'splice'
  | 'unknown-key'
  | 'whitespace'
  | 'long-value';
export const MUTATIONS: readonly Mutation[] = [
  'truncate',
  'flip',
  'insert-odd',
  'odd-number',
  'odd-timestamp',
  'duplicate-key',
  'drop-range',
  'splice',
  'unknown-key',
  'whitespace',
  'long-value',
];

const mutationArb = fc.record({
  kind: fc.constantFrom(...MUTATIONS),
  a: fc.nat(),
  b: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

/** A valid line damaged one to three times. */
export const mutatedLineArb: fc.Arbitrary<string> = fc
  .tuple(encodedLineArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), encodedLineArb)
  .map(([line, steps, other]) => {
    let out = line;
    for (const m of steps) out = mutate(out, m.kind, m.a, m.b, m.byte, other);
    return out;
  });

/** A whole body: lines of every kind, newline or CRLF separated, sometimes blind noise. */
export const bodyArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.tuple(mutatedLineArb),
          fc.array(
            fc.oneof(
              { weight: 8, arbitrary: encodedLineArb },
              { weight: 1, arbitrary: mutatedLineArb },
              { weight: 1, arbitrary: fc.constantFrom('', '# comment', '   ', '\r') },
            ),
            { minLength: 1, maxLength: 8 },
          ),
        ),
        fc.constantFrom('\n', '\n', '\n', '\r\n'),
        fc.boolean(),
      )
      .map(([lines, nl, trailing]) => lines.join(nl) + (trailing ? nl : '')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
);

// ---------------------------------------------------------------- seeded mutator

function at<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

/** Byte offsets of the parts of a line: [after measurement, fields start, timestamp start]. */
function fieldBounds(line: string): { fields: number; time: number } {
  const fields = line.indexOf(' ') + 1;
  const sp = line.indexOf(' ', fields);
  return { fields, time: sp < 0 ? line.length : sp + 1 };
}

/**
 * Damages `line` one way. `a`, `b`, `byte` are arbitrary numbers choosing where and what;
 * `other` is a second valid line for splicing.
 */
export function mutate(
  line: string,
  kind: Mutation,
  a: number,
  b: number,
  byte: number,
  other: string,
): string {
  const n = line.length;
  const pos = n === 0 ? 0 : a % (n + 1);
  switch (kind) {
    case 'truncate':
      return line.slice(0, pos);
    case 'flip':
      return line.slice(0, pos) + String.fromCharCode(byte) + line.slice(pos + 1);
    case 'insert-odd':
      return line.slice(0, pos) + at(ODD_CHARS, b) + line.slice(pos);
    case 'odd-number': {
      // Replace the value of one field with an odd number text.
      const { fields, time } = fieldBounds(line);
      const part = line.slice(fields, time > fields ? time - 1 : n);
      const kv = part.split(',');
      const k = b % Math.max(kv.length, 1);
      const eq = (kv[k] ?? '').indexOf('=');
      kv[k] = `${(kv[k] ?? '').slice(0, eq + 1)}${at(ODD_NUMBERS, a)}`;
      return line.slice(0, fields) + kv.join(',') + (time < n ? ` ${line.slice(time)}` : '');
    }
    case 'odd-timestamp': {
      const { time } = fieldBounds(line);
      const head = time < n ? line.slice(0, time - 1) : line;
      const stamp = at(EDGE_TIMESTAMPS, a);
      return stamp === '' ? `${head} ` : `${head} ${stamp}`;
    }
    case 'duplicate-key': {
      // Repeat one tag or one field segment.
      const { fields, time } = fieldBounds(line);
      if (b % 2 === 0) {
        const tags = line.slice(0, fields - 1).split(',');
        if (tags.length < 2)
          return `${line.slice(0, fields - 1)},peer_id=a,peer_id=b${line.slice(fields - 1)}`;
        const t = tags[1 + (a % (tags.length - 1))] as string;
        return `${line.slice(0, fields - 1)},${t}${line.slice(fields - 1)}`;
      }
      const f = line.slice(fields, time > fields ? time - 1 : n).split(',')[0] ?? 'x=1';
      return `${line.slice(0, fields)}${f},${line.slice(fields)}`;
    }
    case 'drop-range':
      return line.slice(0, pos) + line.slice(pos + 1 + (b % 12));
    case 'splice': {
      const cut = other.length === 0 ? 0 : b % other.length;
      return line.slice(0, pos) + other.slice(cut);
    }
    case 'unknown-key': {
      const { fields } = fieldBounds(line);
      return b % 2 === 0
        ? `${line.slice(0, fields - 1)},tenant=acme${line.slice(fields - 1)}`
        : `${line.slice(0, fields)}extra_seconds=1,${line.slice(fields)}`;
    }
    case 'whitespace':
      return at([` ${line}`, `${line} `, `\t${line}\t`, `${line}\r`, line.replace(' ', '  ')], a);
    case 'long-value': {
      const { fields } = fieldBounds(line);
      const filler = at(['x', 'é', '😀', '\\ '], b).repeat(20 + (a % 60));
      return `${line.slice(0, fields - 1)},version=${filler}${line.slice(fields - 1)}`;
    }
  }
}

/** Valid lines to mutate in the volume run, drawn once from the arbitraries. */
export function corpus(size: number, seed: number): string[] {
  return fc.sample(encodedLineArb, { numRuns: size, seed });
}

/** The volume run's body generator: mostly mutated corpus lines, some raw byte damage. */
export function seededBodies(
  corpusLines: readonly string[],
  seed: number,
): () => string | Uint8Array {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const line = () => corpusLines[int(corpusLines.length)] as string;
  return () => {
    const lines: string[] = [];
    // One bad line refuses a body: single-line bodies show which damaged lines get through.
    const count = random() < 0.5 ? 1 : 2 + int(7);
    const damage = count === 1 ? 0.8 : 0.15;
    for (let i = 0; i < count; i++) {
      let l = line();
      if (random() < damage) {
        const steps = 1 + int(3);
        for (let s = 0; s < steps; s++) {
          l = mutate(
            l,
            at(MUTATIONS, int(MUTATIONS.length)),
            int(1 << 30),
            int(1 << 30),
            int(256),
            line(),
          );
        }
      }
      lines.push(l);
    }
    const body = lines.join(random() < 0.9 ? '\n' : '\r\n') + (random() < 0.7 ? '\n' : '');
    if (random() < 0.1) {
      // Damage the bytes themselves: invalid UTF-8, stray NULs, cut multi-byte characters.
      const bytes = Buffer.from(body, 'utf8');
      const flips = 1 + int(4);
      for (let f = 0; f < flips && bytes.length > 0; f++) bytes[int(bytes.length)] = int(256);
      return random() < 0.5 ? bytes : bytes.subarray(0, int(bytes.length + 1));
    }
    return body;
  };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import { encodeLineProtocol, type Sample } from '../../src/index.js';
import { encodeLine, encodeLineAt } from '../../src/protocol/line-protocol/encode.js';

// NetBird's deployed Go ingest, as a test-only reader written from its rules: it splits on raw
// spaces, commas and the first `=` and never looks at escapes. Every line a client pushes must
// pass it, and mean there what the client recorded.

/** Its allowlists: measurement → tags and fields. */
const ALLOWED: Record<string, { tags: readonly string[]; fields: readonly string[] }> = {
  netbird_peer_connection: {
    tags: [
      'deployment_type',
      'connection_type',
      'attempt_type',
      'version',
      'os',
      'arch',
      'peer_id',
      'connection_pair_id',
    ],
    fields: [
      'signaling_to_connection_seconds',
      'connection_to_wg_handshake_seconds',
      'total_seconds',
    ],
  },
  netbird_sync: {
    tags: ['deployment_type', 'version', 'os', 'arch', 'peer_id'],
    fields: ['duration_seconds'],
  },
  netbird_login: {
    tags: ['deployment_type', 'result', 'version', 'os', 'arch', 'peer_id'],
    fields: ['duration_seconds'],
  },
  netbird_sync_phase: {
    tags: ['deployment_type', 'version', 'os', 'arch', 'peer_id', 'phase'],
    fields: ['duration_seconds'],
  },
};
const MAX_TAG_VALUE_BYTES = 64;
const MAX_SECONDS = 86_400;

/** Go's `strings.TrimSpace`: Unicode white space at both ends. */
const GO_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const trimSpace = (s: string) => s.replace(new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g'), '');

/** What Go's `strconv.ParseFloat(s, 64)` accepts without error, as a number. */
function parseFloat64(s: string): number | undefined {
  if (/^[+-]?(inf|infinity|nan)$/i.test(s))
    return Number(s.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const value = Number(s);
  return Number.isFinite(value) ? value : undefined; // out of range is an error in Go
}

interface GoLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  timestamp: string | undefined;
}

/** One line as the Go ingest reads it, or the reason it refuses it. */
function goReadLine(line: string): GoLine | string {
  const parts = splitN(line, ' ', 3);
  if (parts.length < 2) return 'invalid line protocol';
  const [head, fieldPart, timestamp] = parts as [string, string, string | undefined];
  const [measurement, ...tagParts] = head.split(',');
  const allowed = ALLOWED[measurement as string];
  if (allowed === undefined) return `unknown measurement: ${measurement}`;
  const tags: Record<string, string> = {};
  for (const tag of tagParts) {
    const kv = splitN(tag, '=', 2);
    if (kv.length < 2) return `invalid tag: ${tag}`;
    const [name, value] = kv as [string, string];
    if (!allowed.tags.includes(name)) return `unknown tag: ${name}`;
    if (Buffer.byteLength(value) > MAX_TAG_VALUE_BYTES) return `tag value too long: ${name}`;
    tags[name] = value;
  }
  const fields: Record<string, number> = {};
  for (const field of fieldPart.split(',')) {
    const kv = splitN(field, '=', 2);
    if (kv.length < 2) return `invalid field: ${field}`;
    const [name, text] = kv as [string, string];
    if (!allowed.fields.includes(name)) return `unknown field: ${name}`;
    const value = parseFloat64(text);
    if (value === undefined) return `invalid field value: ${field}`;
    if (value < 0) return `negative value: ${field}`;
    if (name.endsWith('_seconds') && value > MAX_SECONDS) return `too large: ${field}`;
    fields[name] = value;
  }
  return { measurement: measurement as string, tags, fields, timestamp };
}

/** Go's `strings.SplitN`: at most `n` parts, the last one holding the rest. */
function splitN(text: string, separator: string, n: number): string[] {
  const parts = text.split(separator);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(separator)];
}

/** A body as the Go ingest reads it: trimmed, split on newlines, lines trimmed, empty ones skipped. */
function goReadBody(body: string): (GoLine | string)[] {
  return trimSpace(body)
    .split('\n')
    .map(trimSpace)
    .filter((line) => line !== '')
    .map(goReadLine);
}

// Tag values with everything the Go ingest could trip over. At most 16 code points of at most
// 4 UTF-8 bytes: within the 64-byte limit, which the schema enforces before encoding.
const awkwardValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      '0',
      '.',
      ' ',
      ',',
      '=',
      '\\',
      '"',
      '\n',
      '\r',
      '\t',
      '\u0000',
      '\u007f',
      '\u0085',
      '\u00a0',
      '\u2028',
      'é',
      '✓',
      '😀',
      '\uD800',
      '\uDC00',
    ),
    maxLength: 16,
  }),
);
const seconds = fc.oneof(
  fc.double({ min: 0, max: MAX_SECONDS, noNaN: true }),
  fc.integer({ min: 0, max: MAX_SECONDS * 1000 }).map((ms) => ms / 1e3),
  fc.constantFrom(0, -0, 5e-324, 1e-7, MAX_SECONDS),
);
const sampleArb: fc.Arbitrary<Sample> = fc
  .constantFrom(...Object.keys(ALLOWED))
  .chain((measurement) => {
    const allowed = ALLOWED[measurement]!;
    return fc.record(
      {
        measurement: fc.constant(measurement),
        tags: fc.record(Object.fromEntries(allowed.tags.map((t) => [t, awkwardValue])), {
          requiredKeys: [],
        }),
        fields: fc.record(Object.fromEntries(allowed.fields.map((f) => [f, seconds]))),
        timestampNs: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      },
      { requiredKeys: ['measurement', 'tags', 'fields'] },
    );
  })
  .map((s) => s as Sample);

/** What the client recorded, as it must reach InfluxDB through the Go ingest. */
function expectMeans(read: GoLine | string, sample: Sample, timestampNs: bigint | undefined) {
  if (typeof read === 'string') throw new Error(`Go ingest refuses the line: ${read}`);
  expect(read.measurement).toBe(sample.measurement);
  const written = Object.keys(sample.tags).filter((k) => sample.tags[k] !== '');
  expect(Object.keys(read.tags).sort()).toEqual(written.sort());
  for (const [name, value] of Object.entries(read.tags)) {
    // Unescaped by InfluxDB, the value is the recorded one with what cannot travel as `_`.
    const unportable =
      /[\\\u0000-\u001f\u007f ,]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
    expect(value.replace(/\\=/g, '=')).toBe(sample.tags[name]!.replace(unportable, '_'));
  }
  expect(Object.keys(read.fields).sort()).toEqual(Object.keys(sample.fields).sort());
  for (const [name, value] of Object.entries(read.fields)) {
    expect(Object.is(value, sample.fields[name])).toBe(true);
  }
  expect(read.timestamp).toBe(timestampNs === undefined ? undefined : String(timestampNs));
}

describe("lines a NetBird client pushes pass NetBird's Go ingest", () => {
  it('refuses what an escaped space or comma in a tag value does to it (the reader is right)', () => {
    expect(goReadLine('netbird_sync,version=0.61.2\\ beta duration_seconds=1 1')).toBe(
      'invalid field: beta',
    );
    expect(goReadLine('netbird_sync,version=0.61\\,2 duration_seconds=1')).toBe('invalid tag: 2');
    expect(goReadLine('netbird_sync,version=a\\=b duration_seconds=1')).toMatchObject({
      tags: { version: 'a\\=b' },
    });
  });

  it('every body from encodeLineProtocol, line for line', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 8 }), (samples) => {
        const read = goReadBody(encodeLineProtocol(samples));
        expect(read).toHaveLength(samples.length);
        for (const [i, line] of read.entries())
          expectMeans(line, samples[i]!, samples[i]!.timestampNs);
      }),
      { numRuns: 500 },
    );
  });

  it('every line from encodeLine and encodeLineAt', () => {
    fc.assert(
      fc.property(sampleArb, fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (sample, at) => {
        expectMeans(goReadLine(encodeLine(sample)), sample, sample.timestampNs);
        expectMeans(goReadLine(encodeLineAt(sample, at)), sample, at);
      }),
      { numRuns: 1500 },
    );
  });

  it('every line the SampleStore keeps for pushing', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 8 }), (samples) => {
        const store = new SampleStore({ now: () => 1_795_000_000_000 });
        const stored = samples.map((s) => store.add(s));
        const read = goReadBody(store.exportLineProtocol());
        expect(read).toHaveLength(samples.length);
        for (const [i, line] of read.entries())
          expectMeans(line, samples[i]!, stored[i]!.timestampNs);
      }),
      { numRuns: 300 },
    );
  });
});

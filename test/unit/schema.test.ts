import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSample,
  MAX_DURATION_SECONDS,
  MAX_TAG_VALUE_BYTES,
  MEASUREMENTS,
  type Sample,
  SYNC_PHASES,
} from '../../src/index.js';
import {
  ATTEMPT_TYPES,
  bytesFitShape,
  CONNECTION_TYPES,
  checkFieldValue,
  checkTag,
  checkTagShape,
  DEPLOYMENT_TYPES,
  describeViolation,
  LOGIN_RESULTS,
  MAX_NAME_LENGTH,
  TAG_SHAPES,
  tagShape,
  utf8Length,
} from '../../src/protocol/schema.js';

const agent = {
  deployment_type: 'selfhosted',
  version: '0.40.0',
  os: 'linux',
  arch: 'amd64',
  peer_id: '0123456789abcdef',
};
const sync = (fields: Record<string, number>, tags: Record<string, string> = agent): Sample => ({
  measurement: 'netbird_sync',
  tags,
  fields,
});

describe('schema', () => {
  it('names the four measurements with the reference tag order', () => {
    expect(Object.keys(MEASUREMENTS)).toEqual([
      'netbird_peer_connection',
      'netbird_sync',
      'netbird_sync_phase',
      'netbird_login',
    ]);
    expect(MEASUREMENTS.netbird_peer_connection.tags).toEqual([
      'deployment_type',
      'connection_type',
      'attempt_type',
      'version',
      'os',
      'arch',
      'peer_id',
      'connection_pair_id',
    ]);
    expect(MEASUREMENTS.netbird_login.tags).toEqual([
      'deployment_type',
      'result',
      'version',
      'os',
      'arch',
      'peer_id',
    ]);
    expect(MEASUREMENTS.netbird_sync_phase.tags.at(-1)).toBe('phase');
  });

  it('keeps field keys in byte order, the order they are written', () => {
    for (const m of Object.values(MEASUREMENTS)) {
      expect([...m.fields]).toEqual([...m.fields].sort());
    }
  });

  it('has the 14 sync phases', () => {
    expect(SYNC_PHASES).toHaveLength(14);
    expect(new Set(SYNC_PHASES).size).toBe(14);
  });

  it('accepts a valid sample', () => {
    expect(checkSample(sync({ duration_seconds: 1.5 }))).toBeUndefined();
    expect(checkSample(sync({ duration_seconds: 0 }))).toBeUndefined();
    expect(checkSample(sync({ duration_seconds: MAX_DURATION_SECONDS }))).toBeUndefined();
  });

  it.each([
    [Number.NaN, 'non-finite value'],
    [Number.POSITIVE_INFINITY, 'non-finite value'],
    [Number.NEGATIVE_INFINITY, 'non-finite value'],
    [-1.5, 'negative value'],
    [-Number.MIN_VALUE, 'negative value'],
    [MAX_DURATION_SECONDS + 0.001, 'too large'],
    [1e300, 'too large'],
  ])('refuses duration %s (%s)', (value, kind) => {
    expect(checkSample(sync({ duration_seconds: value }))?.kind).toBe(kind);
  });

  it('caps only *_seconds fields', () => {
    expect(checkFieldValue('count', 1e9)).toBeUndefined();
    expect(checkFieldValue('total_seconds', 1e9)?.kind).toBe('too large');
  });

  it('refuses unknown measurements, tags and fields, and missing fields', () => {
    expect(checkSample({ ...sync({ duration_seconds: 1 }), measurement: 'evil' })?.kind).toBe(
      'unknown measurement',
    );
    expect(checkSample({ ...sync({ duration_seconds: 1 }), measurement: 'toString' })?.kind).toBe(
      'unknown measurement',
    );
    expect(checkSample(sync({ duration_seconds: 1 }, { ...agent, evil_tag: 'x' }))?.kind).toBe(
      'unknown tag',
    );
    expect(checkSample(sync({ duration_seconds: 1, injected_field: 1 }))?.kind).toBe(
      'unknown field',
    );
    expect(checkSample(sync({}))?.kind).toBe('missing field');
  });

  it('bounds tag values at 64 UTF-8 bytes', () => {
    const ok = 'a'.repeat(MAX_TAG_VALUE_BYTES);
    expect(checkSample(sync({ duration_seconds: 1 }, { ...agent, version: ok }))).toBeUndefined();
    const long = checkSample(sync({ duration_seconds: 1 }, { ...agent, version: `${ok}a` }));
    expect(long).toEqual({ kind: 'tag value too long', tag: 'version', bytes: 65 });
    // 22 three-byte characters are 66 bytes although only 22 UTF-16 units.
    const wide = checkSample(sync({ duration_seconds: 1 }, { ...agent, version: '€'.repeat(22) }));
    expect(wide?.kind).toBe('tag value too long');
    expect(utf8Length(`${'€'.repeat(21)}a`)).toBe(64);
    expect(utf8Length('😀')).toBe(4);
  });

  it('enforces closed vocabularies on the client, not in the ingest', () => {
    const conn = MEASUREMENTS.netbird_peer_connection;
    expect(checkTag(conn, 'connection_type', 'ice', true)?.kind).toBe('invalid tag value');
    expect(checkTag(conn, 'connection_type', 'ice', false)).toBeUndefined();
    expect(checkTag(conn, 'connection_type', 'ice_turn', true)).toBeUndefined();
    const phase = MEASUREMENTS.netbird_sync_phase;
    expect(checkTag(phase, 'phase', 'routes_apply', true)).toBeUndefined();
    expect(checkTag(phase, 'phase', 'routes', true)?.kind).toBe('invalid tag value');
    const login = MEASUREMENTS.netbird_login;
    expect(checkTag(login, 'result', 'maybe', true)?.kind).toBe('invalid tag value');
  });

  it('describes violations with the reference wording', () => {
    expect(describeViolation({ kind: 'negative value', field: 'f', value: -1 })).toMatch(
      /negative/,
    );
    expect(describeViolation({ kind: 'too large', field: 'total_seconds', value: 1e6 })).toMatch(
      /too large/,
    );
    expect(describeViolation({ kind: 'unknown tag', tag: 'evil_tag' })).toMatch(/unknown tag/);
  });
});

const lowerHex = fc.stringMatching(/^[0-9a-f]{16}$/);
const nameText = fc.stringMatching(new RegExp(`^[a-z0-9_]{1,${MAX_NAME_LENGTH}}$`));
const printable = fc.stringMatching(/^[ -~]{0,64}$/);
/** Characters no tag value may hold: controls, DEL, non-ASCII, bidi and zero-width ones. */
const foreignChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u007f', '\u00e9', '\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '😀'),
);
const withForeign = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, foreignChar, fc.nat())
    .map(([s, c, at]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1)));

describe('tag shapes', () => {
  it('gives every tag key of every measurement a shape', () => {
    for (const m of Object.values(MEASUREMENTS)) {
      for (const tag of m.tags) expect(TAG_SHAPES[tag], tag).toBeDefined();
    }
  });

  it('takes closed sets by membership only', () => {
    const sets: [string, readonly string[]][] = [
      ['deployment_type', DEPLOYMENT_TYPES],
      ['attempt_type', ATTEMPT_TYPES],
      ['result', LOGIN_RESULTS],
    ];
    for (const [tag, values] of sets) {
      for (const value of values) expect(checkTagShape(tag, value)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.constantFrom(...sets), fc.string({ maxLength: 20 }), ([tag, values], v) => {
        expect(checkTagShape(tag, v) === undefined).toBe(values.includes(v));
      }),
    );
    expect(checkTagShape('deployment_type', 'martian')).toEqual({
      kind: 'invalid tag value',
      tag: 'deployment_type',
      value: 'martian',
      expected: 'one of cloud, selfhosted, unknown',
    });
    expect(checkTagShape('result', '<b>pwned</b>')?.kind).toBe('invalid tag value');
    expect(checkTagShape('deployment_type', 'Cloud')?.kind).toBe('invalid tag value');
  });

  it('takes open vocabularies by a bounded name pattern, so new values still pass', () => {
    fc.assert(
      fc.property(fc.constantFrom('connection_type', 'phase'), nameText, (tag, v) => {
        expect(checkTagShape(tag, v)).toBeUndefined();
      }),
    );
    for (const v of [...CONNECTION_TYPES, 'ice', 'quic_v2']) {
      expect(checkTagShape('connection_type', v)).toBeUndefined();
    }
    for (const v of SYNC_PHASES) expect(checkTagShape('phase', v)).toBeUndefined();
    fc.assert(
      fc.property(
        fc.constantFrom('connection_type', 'phase'),
        fc.oneof(
          withForeign(nameText),
          nameText.map((v) => `${v}-x`),
          nameText.map((v) => v.toUpperCase()).filter((v) => /[A-Z]/.test(v)),
          fc.constant('a'.repeat(MAX_NAME_LENGTH + 1)),
          fc.constant(''),
        ),
        (tag, v) => {
          expect(checkTagShape(tag, v)?.kind).toBe('invalid tag value');
        },
      ),
    );
    expect(checkTagShape('connection_type', 'carrier_pigeon')).toBeUndefined();
    expect(checkTagShape('connection_type', 'carrier pigeon')?.kind).toBe('invalid tag value');
  });

  it('takes ids as 16 lower-case hex digits, an empty peer id but never an empty pair id', () => {
    fc.assert(
      fc.property(fc.constantFrom('peer_id', 'connection_pair_id'), lowerHex, (tag, v) => {
        expect(checkTagShape(tag, v)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('peer_id', 'connection_pair_id'),
        fc.oneof(
          fc.string({ maxLength: 24 }).filter((v) => !/^[0-9a-f]{16}$/.test(v) && v !== ''),
          lowerHex.map((v) => v.toUpperCase()).filter((v) => /[A-F]/.test(v)),
          lowerHex.map((v) => v.slice(1)),
          lowerHex.map((v) => `${v}0`),
        ),
        (tag, v) => {
          expect(checkTagShape(tag, v)?.kind).toBe('invalid tag value');
        },
      ),
    );
    expect(checkTagShape('peer_id', 'zz')?.kind).toBe('invalid tag value');
    expect(checkTagShape('peer_id', '')).toBeUndefined();
    expect(checkTagShape('connection_pair_id', '')?.kind).toBe('invalid tag value');
  });

  it('takes version, os and arch as printable ASCII', () => {
    fc.assert(
      fc.property(fc.constantFrom('version', 'os', 'arch'), printable, (tag, v) => {
        expect(checkTagShape(tag, v)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('version', 'os', 'arch'), withForeign(printable), (tag, v) => {
        expect(checkTagShape(tag, v)?.kind).toBe('invalid tag value');
      }),
    );
    expect(checkTagShape('version', '0.61.2 beta,1')).toBeUndefined();
    expect(checkTagShape('version', '0.61.2\u202e')?.kind).toBe('invalid tag value');
  });

  it('is part of checkTag on both sides, and of the client check of a whole sample', () => {
    const login = MEASUREMENTS.netbird_login;
    expect(checkTag(login, 'result', 'maybe', false)?.kind).toBe('invalid tag value');
    expect(checkTag(login, 'peer_id', 'zz', false)?.kind).toBe('invalid tag value');
    expect(checkSample(sync({ duration_seconds: 1 }, { ...agent, os: 'lin\u200bux' }))?.kind).toBe(
      'invalid tag value',
    );
    expect(checkSample(sync({ duration_seconds: 1 }, { ...agent, peer_id: '' }))).toBeUndefined();
    // The length bound is checked first, so an over-long value says so.
    expect(checkTag(login, 'version', '€'.repeat(22), false)?.kind).toBe('tag value too long');
  });

  it('gives the ingest the same verdict over the bytes of a value as written, escapes kept', () => {
    const value = fc.oneof(
      printable,
      nameText,
      lowerHex,
      withForeign(printable),
      fc.constantFrom(...DEPLOYMENT_TYPES, ...LOGIN_RESULTS, 'a b', 'a,b', 'a=b', ''),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(TAG_SHAPES)),
        value.filter((v) => !v.includes('\\')),
        (tag, v) => {
          // How a writer puts it on the wire: spaces, commas and `=` escaped.
          const written = Buffer.from(v.replace(/[ ,=]/g, '\\$&'));
          const shape = tagShape(tag)!;
          expect(bytesFitShape(shape, written, 0, written.length)).toBe(
            checkTagShape(tag, v) === undefined,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('says what was expected', () => {
    const v = checkTagShape('peer_id', 'zz');
    expect(v && describeViolation(v)).toBe(
      'invalid tag value: peer_id="zz" (expected 16 lower-case hex digits)',
    );
  });
});

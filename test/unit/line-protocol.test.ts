import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLineProtocol, LineProtocolEncodeError, type Sample } from '../../src/index.js';
import {
  type EncodeStats,
  encodeLine,
  encodeLineAt,
  encodeStandardLine,
} from '../../src/protocol/line-protocol/encode.js';
import {
  escapeKey,
  escapeTagValue,
  formatFloat,
  referenceLine,
} from '../helpers/reference-line-protocol.js';

describe('encodeLine', () => {
  it('writes measurement, tags in given order, sorted fields and the ns timestamp', () => {
    const line = encodeLine({
      measurement: 'netbird_peer_connection',
      tags: { deployment_type: 'cloud', connection_type: 'relay', attempt_type: 'initial' },
      fields: {
        total_seconds: 3,
        signaling_to_connection_seconds: 1,
        connection_to_wg_handshake_seconds: 2,
      },
      timestampNs: 1_700_000_000_123_456_789n,
    });
    expect(line).toBe(
      'netbird_peer_connection,deployment_type=cloud,connection_type=relay,attempt_type=initial ' +
        'connection_to_wg_handshake_seconds=2,signaling_to_connection_seconds=1,total_seconds=3 ' +
        '1700000000123456789',
    );
  });

  it('escapes commas, spaces and equals signs (standard variant)', () => {
    const stats: EncodeStats = { replacedChars: 0 };
    const line = encodeStandardLine(
      { measurement: 'my meas,x=y', tags: { 'k ey,=': 'v a,l=ue' }, fields: { 'f i,e=ld': 1 } },
      stats,
    );
    expect(line).toBe('my\\ meas\\,x=y,k\\ ey\\,\\==v\\ a\\,l\\=ue f\\ i\\,e\\=ld=1');
    expect(stats.replacedChars).toBe(0);
  });

  it('replaces spaces and commas in tag values for NetBird, and counts them', () => {
    const stats: EncodeStats = { replacedChars: 0 };
    const line = encodeLine(
      { measurement: 'my meas,x=y', tags: { 'k ey,=': 'v a,l=ue' }, fields: { 'f i,e=ld': 1 } },
      stats,
    );
    // Names keep their escapes; only the tag value differs from the standard variant.
    expect(line).toBe('my\\ meas\\,x=y,k\\ ey\\,\\==v_a_l\\=ue f\\ i\\,e\\=ld=1');
    expect(stats.replacedChars).toBe(2);
    expect(
      encodeLineAt({ measurement: 'm', tags: { version: '0.61.2 beta,2' }, fields: { v: 1 } }, 3n),
    ).toBe('m,version=0.61.2_beta_2 v=1 3');
  });

  it('replaces backslashes and control characters, and counts them', () => {
    const stats: EncodeStats = { replacedChars: 0 };
    const line = encodeLine(
      { measurement: 'm\\', tags: { path: 'C:\\dir\\', nl: 'a\nb\tc\u007f' }, fields: { v: 1 } },
      stats,
    );
    expect(line).toBe('m_,path=C:_dir_,nl=a_b_c_ v=1');
    expect(stats.replacedChars).toBe(6);
  });

  it('leaves out empty tag values', () => {
    expect(
      encodeLine({ measurement: 'm', tags: { a: '', b: 'x', peer_id: '' }, fields: { v: 0 } }),
    ).toBe('m,b=x v=0');
  });

  it('refuses lines it cannot write', () => {
    expect(() => encodeLine({ measurement: 'm', tags: {}, fields: {} })).toThrow(
      LineProtocolEncodeError,
    );
    expect(() => encodeLine({ measurement: '', tags: {}, fields: { v: 1 } })).toThrow(/empty/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => encodeLine({ measurement: 'm', tags: {}, fields: { v: bad } })).toThrow(
        /NaN and Infinity/,
      );
    }
  });

  it('writes numbers that parse back to the same float64', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(Number(formatFloat(x)), x)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(formatFloat(5e-5)).toBe('0.00005');
    expect(formatFloat(1234567)).toBe('1234567');
    expect(formatFloat(-0)).toBe('-0');
  });

  it('never lets a tag value break out of its place', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        for (const escaped of [escapeKey(value), escapeTagValue(value, 'standard')]) {
          // No raw delimiter survives unescaped, and nothing ends in a lone backslash.
          expect(escaped).not.toMatch(/(^|[^\\])[ ,=]/);
          expect(escaped).not.toMatch(/[\u0000-\u001f\u007f]/);
          expect(escaped.replace(/\\[ ,=]/g, '')).not.toContain('\\');
        }
        // For NetBird's Go ingest: no space or comma at all, escaped `=` the only backslash.
        const netbird = escapeTagValue(value, 'netbird');
        expect(netbird).not.toMatch(/[ ,\u0000-\u001f\u007f]/);
        expect(netbird).not.toMatch(/(^|[^\\])=/);
        expect(netbird.replace(/\\=/g, '')).not.toContain('\\');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('encodeLineProtocol', () => {
  it('terminates every line with a newline', () => {
    const body = encodeLineProtocol([
      { measurement: 'a', tags: {}, fields: { v: 1 }, timestampNs: 1n },
      { measurement: 'b', tags: {}, fields: { v: 2 }, timestampNs: 2n },
    ]);
    expect(body).toBe('a v=1 1\nb v=2 2\n');
    expect(encodeLineProtocol([])).toBe('');
  });
});

// Names from a small pool (so the encoder's caches are hit), with awkward characters.
const awkwardText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({
      unit: fc.constantFrom(
        'a',
        'Z',
        '0',
        '_',
        ' ',
        ',',
        '=',
        '\\',
        '\n',
        '\u007f',
        'é',
        '✓',
        '😀',
        '\uD800',
        '\uDC00',
      ),
      maxLength,
    }),
  );
const pooledKey = fc.oneof(
  fc.constantFrom('version', 'os', 'peer_id', 'k ey', 'k,=y', 'ünï', 'C:\\x', 'tab\there'),
  awkwardText(12),
);
const duration = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  // The resolutions NetBird records: whole ms and whole ns (the encoder's exact fast path).
  fc.integer({ min: -86_400_000, max: 86_400_000 }).map((ms) => ms / 1e3),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((ns) => ns / 1e9),
  fc.constantFrom(0, -0, 1e-6, 9.99e-7, 3_999_999.999999999, 4e6, 1e21, 5e-324),
);
const timestamp = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  // Near whole seconds, where a float quotient of a large value is off by one.
  fc
    .tuple(fc.bigInt({ min: 1n, max: 9_223_372_035n }), fc.bigInt({ min: -300n, max: 300n }))
    .map(([seconds, ns]) => seconds * 1_000_000_000n + ns),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(0n, 999_999_999n, 1_000_000_000n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, -1n),
);
const arbitrarySample: fc.Arbitrary<Sample> = fc.record(
  {
    measurement: fc.oneof(
      fc.constantFrom('netbird_sync', 'm=x', 'my meas,x'),
      awkwardText(16).filter((m) => m !== ''),
    ),
    tags: fc.dictionary(pooledKey, fc.oneof(fc.constantFrom('linux', 'a b', ''), awkwardText(20)), {
      maxKeys: 8,
    }),
    fields: fc.dictionary(pooledKey, duration, { minKeys: 1, maxKeys: 4 }),
    timestampNs: timestamp,
  },
  { requiredKeys: ['measurement', 'tags', 'fields'] },
);

describe('byte encoder', () => {
  it('writes exactly the documented text and counts the same replacements', () => {
    fc.assert(
      fc.property(arbitrarySample, (sample) => {
        const expectedStats = { replacedChars: 0 };
        const expected = referenceLine(sample, expectedStats, 'netbird');
        const standardStats = { replacedChars: 0 };
        const standard = referenceLine(sample, standardStats, 'standard');
        for (let repeat = 0; repeat < 2; repeat++) {
          // The second time names come from the encoder's caches (one per variant).
          const stats = { replacedChars: 0 };
          expect(encodeLine(sample, stats)).toBe(expected);
          expect(stats).toEqual(expectedStats);
          const statsStandard = { replacedChars: 0 };
          expect(encodeStandardLine(sample, statsStandard)).toBe(standard);
          expect(statsStandard).toEqual(standardStats);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('writes numbers as formatFloat does, and timestamps as String(bigint) does', () => {
    fc.assert(
      fc.property(duration, timestamp, (x, ns) => {
        const line = encodeLine({ measurement: 'm', tags: {}, fields: { v: x }, timestampNs: ns });
        expect(line).toBe(`m v=${formatFloat(x)} ${String(ns)}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('body as a string: the same lines, valid UTF-8', () => {
    fc.assert(
      fc.property(fc.array(arbitrarySample, { maxLength: 30 }), (samples) => {
        const expectedStats = { replacedChars: 0 };
        const expected = samples.map((s) => `${referenceLine(s, expectedStats)}\n`).join('');
        const textStats = { replacedChars: 0 };
        const text = encodeLineProtocol(samples, textStats);
        expect(text).toBe(expected);
        // Lone surrogates were replaced, so the UTF-8 bytes decode back to the same text.
        expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
        expect(textStats).toEqual(expectedStats);
      }),
      { numRuns: 500 },
    );
  });

  it('stays exact past its cache bounds (many keys, many values, long names)', () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 3000; i++) {
      samples.push({
        measurement: i % 2 === 0 ? `m\\${i % 1500}` : 'x'.repeat(100 + (i % 3)),
        tags: {
          [`key ${i}`]: `v${i}`, // over 1024 distinct keys
          version: `1.${i % 100}\n`, // one key, more values than it caches
          peer_id: `p,${i}`,
          [`long\\${'k'.repeat(70)}`]: 'x'.repeat(80 + (i % 5)),
        },
        fields: { [`f=${i % 1200}`]: i / 1e3, [`g\\${'f'.repeat(70)}`]: i },
        timestampNs: BigInt(i),
      });
    }
    for (let pass = 0; pass < 2; pass++) {
      const expectedStats = { replacedChars: 0 };
      const expected = samples.map((s) => `${referenceLine(s, expectedStats)}\n`).join('');
      const stats = { replacedChars: 0 };
      expect(encodeLineProtocol(samples, stats)).toBe(expected);
      expect(stats).toEqual(expectedStats);
      // The standard variant fills its own caches in between: neither leaks into the other.
      const standardStats = { replacedChars: 0 };
      const standard = samples.map((s) => referenceLine(s, standardStats, 'standard'));
      const ours = { replacedChars: 0 };
      expect(samples.map((s) => encodeStandardLine(s, ours))).toEqual(standard);
      expect(ours).toEqual(standardStats);
    }
  });

  it('grows past its first guess for bodies of unknown length', () => {
    const body = encodeLineProtocol(
      (function* () {
        for (let i = 0; i < 2000; i++) {
          yield { measurement: 'm', tags: { t: 'é'.repeat(i % 50) }, fields: { v: i } };
        }
      })(),
    );
    expect(body.split('\n')).toHaveLength(2001);
    expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);
    expect(body.split('\n')[1999]).toBe(`m,t=${'é'.repeat(1999 % 50)} v=1999`);
  });

  it('nested encodes are not mixed up', () => {
    const one: Sample = { measurement: 'one', tags: {}, fields: { v: 1 } };
    const inner: string[] = [];
    const body = encodeLineProtocol(
      (function* () {
        for (let i = 0; i < 3; i++) {
          // Encoding while a body is being encoded (a generator of samples may do that).
          inner.push(encodeLineProtocol([{ ...one, measurement: `inner${i}` }]));
          inner.push(encodeLine({ ...one, measurement: `line${i}` }));
          yield { ...one, measurement: `outer${i}` };
        }
      })(),
    );
    expect(body).toBe('outer0 v=1\nouter1 v=1\nouter2 v=1\n');
    expect(inner).toEqual([
      'inner0 v=1\n',
      'line0 v=1',
      'inner1 v=1\n',
      'line1 v=1',
      'inner2 v=1\n',
      'line2 v=1',
    ]);
  });

  it('names the first bad field in byte order, whatever order the fields come in', () => {
    const sample = { measurement: 'm', tags: {}, fields: { b: Number.NaN, a: Infinity, c: 1 } };
    expect(() => encodeLine(sample)).toThrow(/field a is Infinity/);
    expect(() => encodeLineProtocol([sample])).toThrow(LineProtocolEncodeError);
    // And a failed line leaves nothing behind for the next one.
    expect(encodeLine({ measurement: 'm', tags: {}, fields: { z: 2, y: 1 } })).toBe('m y=1,z=2');
  });

  it('stamps a line with a given timestamp in place of its own', () => {
    const sample: Sample = {
      measurement: 'm',
      tags: { a: 'b' },
      fields: { v: 1 },
      timestampNs: 5n,
    };
    expect(encodeLineAt(sample, 7n)).toBe('m,a=b v=1 7');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EncodeStats, escapeKey, formatFloat } from '../src/exporters/line-protocol.js';
import { encodeLine, encodeLineProtocol, LineProtocolEncodeError } from '../src/index.js';

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

  it('escapes commas, spaces and equals signs', () => {
    const line = encodeLine({
      measurement: 'my meas,x=y',
      tags: { 'k ey,=': 'v a,l=ue' },
      fields: { 'f i,e=ld': 1 },
    });
    expect(line).toBe('my\\ meas\\,x=y,k\\ ey\\,\\==v\\ a\\,l\\=ue f\\ i\\,e\\=ld=1');
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
        const escaped = escapeKey(value);
        // No raw delimiter survives unescaped, and nothing ends in a lone backslash.
        expect(escaped).not.toMatch(/(^|[^\\])[ ,=]/);
        expect(escaped).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(escaped.replace(/\\[ ,=]/g, '')).not.toContain('\\');
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

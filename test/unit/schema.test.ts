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
  checkFieldValue,
  checkTag,
  describeViolation,
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

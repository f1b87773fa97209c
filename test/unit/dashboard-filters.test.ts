import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FILTER_TAGS,
  type Filters,
  filterEntries,
  filtersKey,
  matchesFilters,
  measurementHasTag,
} from '../../src/ingest/dashboard/filters.js';
import { sampleFilter } from '../../src/ingest/dashboard/sample-filter.js';
import { MEASUREMENT_NAMES, type MeasurementName, type Sample } from '../../src/protocol/schema.js';

const sample = (measurement: string, tags: Record<string, string>): Sample => ({
  measurement,
  tags,
  fields: { duration_seconds: 1 },
  timestampNs: 1n,
});

describe('dashboard filters', () => {
  it('are the tags an operator slices by, in the order chips are shown', () => {
    expect(FILTER_TAGS).toEqual([
      'connection_type',
      'attempt_type',
      'os',
      'arch',
      'version',
      'deployment_type',
    ]);
    expect(filterEntries({ version: '1', connection_type: 'relay', os: 'ios' })).toEqual([
      ['connection_type', 'relay'],
      ['os', 'ios'],
      ['version', '1'],
    ]);
  });

  it('have one key per set of filters, whatever the order they were given in', () => {
    expect(filtersKey({})).toBe('');
    expect(filtersKey({ os: 'ios', connection_type: 'relay' })).toBe(
      filtersKey({ connection_type: 'relay', os: 'ios' }),
    );
    expect(filtersKey({ os: 'a&b=c d' })).toBe('os=a%26b%3Dc%20d');
    // A value cannot pass for two filters.
    expect(filtersKey({ os: 'x&version=1' })).not.toBe(filtersKey({ os: 'x', version: '1' }));
  });

  it('leave a measurement without the tag unfiltered', () => {
    expect(measurementHasTag('netbird_peer_connection', 'connection_type')).toBe(true);
    expect(measurementHasTag('netbird_sync', 'connection_type')).toBe(false);
    expect(measurementHasTag('netbird_sync_phase', 'version')).toBe(true);
    expect(measurementHasTag('netbird_login', 'attempt_type')).toBe(false);
    const relay = { connection_type: 'relay' };
    expect(matchesFilters('netbird_sync', { os: 'ios' }, relay)).toBe(true);
    expect(matchesFilters('netbird_peer_connection', { connection_type: 'relay' }, relay)).toBe(
      true,
    );
    expect(matchesFilters('netbird_peer_connection', { connection_type: 'ice_p2p' }, relay)).toBe(
      false,
    );
    // A sample that lacks a tag its measurement has does not match a filter on it.
    expect(matchesFilters('netbird_peer_connection', {}, relay)).toBe(false);
    expect(
      matchesFilters('netbird_login', { os: 'ios', version: '2' }, { os: 'ios', version: '1' }),
    ).toBe(false);
  });

  it('compiled for a scan, answer exactly as matchesFilters does (property)', () => {
    const value = fc.constantFrom('a', 'b', 'relay', 'ios', '');
    const tags = fc.dictionary(fc.constantFrom(...FILTER_TAGS, 'phase', 'result'), value);
    const filters = fc.dictionary(fc.constantFrom(...FILTER_TAGS), value) as fc.Arbitrary<Filters>;
    fc.assert(
      fc.property(fc.constantFrom(...MEASUREMENT_NAMES), tags, filters, (m, t, f) => {
        expect(sampleFilter(f)(sample(m, t))).toBe(matchesFilters(m as MeasurementName, t, f));
      }),
    );
  });

  it('let samples of a measurement the dashboard does not know through (they are not counted)', () => {
    expect(sampleFilter({ os: 'ios' })(sample('something_else', { os: 'linux' }))).toBe(true);
    expect(sampleFilter({})(sample('netbird_sync', {}))).toBe(true);
  });
});

// The dashboard's filters as InfluxQL text: values only ever inside escaped string literals, only
// the tags a measurement has, and the time filter of exactly the sample source's samples.
import { describe, expect, it } from 'vitest';
import {
  anyOf,
  filterCondition,
  influxqlIdentifier,
  influxqlString,
  tagDiffers,
  tagEquals,
  whereClause,
  withFilters,
} from '../../src/ingest/dashboard/influxql-filters.js';
import {
  INFLUXQL_PANEL_QUERIES,
  sampleTimeFilter,
} from '../../src/ingest/dashboard/influxql-queries.js';

describe('InfluxQL string literals', () => {
  it('escape backslash, quote and newline, and nothing else', () => {
    expect(influxqlString('ios')).toBe("'ios'");
    expect(influxqlString("it's")).toBe("'it\\'s'");
    expect(influxqlString('C:\\x')).toBe("'C:\\\\x'");
    expect(influxqlString("\\'")).toBe("'\\\\\\''");
    expect(influxqlString('a\nb')).toBe("'a\\nb'");
    expect(influxqlString('"; DROP DATABASE x; --')).toBe("'\"; DROP DATABASE x; --'");
    expect(influxqlString('')).toBe("''");
  });

  it('cannot be closed early by any value', () => {
    // Unescaped quotes are exactly the two around the literal.
    for (const value of ["'", "\\'", "a' OR 'a'='a", "\\\\'", 'x\\']) {
      const literal = influxqlString(value);
      const unescaped = literal.replace(/\\./g, '').match(/'/g) ?? [];
      expect(unescaped, value).toHaveLength(2);
      expect(literal.replace(/\\./g, '').endsWith("'"), value).toBe(true);
    }
  });

  it('quote identifiers with double quotes', () => {
    expect(influxqlIdentifier('os')).toBe('"os"');
    expect(influxqlIdentifier('a"b')).toBe('"a\\"b"');
  });
});

describe('filter conditions', () => {
  it('hold only the tags the measurement has, in the filter order', () => {
    const filters = {
      version: '0.61.0',
      connection_type: 'relay',
      os: 'ios',
      attempt_type: 'initial',
    };
    expect(filterCondition('netbird_peer_connection', filters)).toBe(
      `"connection_type" = 'relay' AND "attempt_type" = 'initial' AND "os" = 'ios' AND "version" = '0.61.0'`,
    );
    // A sync has no connection or attempt type: those filters leave it unfiltered.
    expect(filterCondition('netbird_sync', filters)).toBe(`"os" = 'ios' AND "version" = '0.61.0'`);
    expect(filterCondition('netbird_sync', { connection_type: 'relay' })).toBeUndefined();
    expect(filterCondition('netbird_login', {})).toBeUndefined();
    expect(filterCondition('netbird_sync_phase', { deployment_type: 'cloud' })).toBe(
      `"deployment_type" = 'cloud'`,
    );
  });

  it('escape the values', () => {
    expect(filterCondition('netbird_login', { os: "O'S\\2" })).toBe(`"os" = 'O\\'S\\\\2'`);
  });

  it('build equality, difference and alternatives', () => {
    expect(tagEquals('phase', '')).toBe(`"phase" = ''`);
    expect(tagDiffers('os', "a'")).toBe(`"os" != 'a\\''`);
    expect(anyOf(['a', 'b'])).toBe('(a OR b)');
    expect(anyOf([])).toBeUndefined();
  });
});

describe('the time filter', () => {
  it('takes every sample whose millisecond lies in the range, both ends included', () => {
    // A sample at 2000.9999 ms is at 2000 ms for the sample source, so it is inside [1000, 2000].
    expect(sampleTimeFilter({ from: 1000, to: 2000 })).toBe('time >= 1000ms AND time < 2001ms');
    expect(sampleTimeFilter({ from: 999.5, to: 2000.5 })).toBe('time >= 1000ms AND time < 2001ms');
  });

  it('starts every WHERE, then the filters, then the extra conditions', () => {
    const scope = { range: { from: 0, to: 9 }, filters: { os: 'ios', connection_type: 'relay' } };
    expect(whereClause('netbird_sync', scope, '"x" > 1', undefined)).toBe(
      `WHERE time >= 0ms AND time < 10ms AND "os" = 'ios' AND "x" > 1`,
    );
    expect(whereClause('netbird_login', { range: scope.range, filters: {} })).toBe(
      'WHERE time >= 0ms AND time < 10ms',
    );
  });
});

describe('the panel queries with filters', () => {
  it('get each measurement its own condition beside the time filter, in subqueries too', () => {
    const filters = { connection_type: 'relay', os: 'ios' };
    const [iceP2p] = INFLUXQL_PANEL_QUERIES['ice-vs-relay'];
    expect(withFilters(iceP2p as string, filters)).toBe(
      `SELECT count("last") AS "ice_p2p" FROM (SELECT last("total_seconds"), "connection_type" FROM "netbird_peer_connection" WHERE $timeFilter AND "connection_type" = 'relay' AND "os" = 'ios' GROUP BY "connection_pair_id") WHERE "connection_type" = 'ice_p2p'`,
    );
    const [sync] = INFLUXQL_PANEL_QUERIES['sync-duration'];
    expect(withFilters(sync as string, filters)).toBe(
      `SELECT "duration_seconds" AS "sync" FROM "netbird_sync" WHERE $timeFilter AND "os" = 'ios'`,
    );
  });

  it('leave every query as it is without filters', () => {
    for (const queries of Object.values(INFLUXQL_PANEL_QUERIES)) {
      for (const q of queries) expect(withFilters(q, {})).toBe(q);
    }
  });

  it('leave a measurement the schema does not know as it is', () => {
    const q = 'SELECT count(x) FROM "other_measurement" WHERE $timeFilter';
    expect(withFilters(q, { os: 'ios' })).toBe(q);
  });
});

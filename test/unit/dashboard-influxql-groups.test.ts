// Choosing a breakdown's groups from InfluxDB's answers: the statements asked, when a tie needs
// a second statement, and the groups and "other" that result (answers made up here; the real
// InfluxDB 1.6 answers them in test/e2e/dashboard-influxql.test.ts).
import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/ingest/dashboard/influxql-client.js';
import { GroupChooser } from '../../src/ingest/dashboard/influxql-groups.js';

const scope = { range: { from: 0, to: 999 }, filters: { deployment_type: 'cloud' } };
const spec = { measurement: 'netbird_login', field: 'duration_seconds', tag: 'version' } as const;

function top(entries: Array<[string, number]>, tag = 'version'): Series[] {
  return [
    {
      name: 'netbird_login',
      columns: ['time', 'top', tag],
      values: entries.map(([v, n]) => [0, n, v]),
    },
  ];
}

const count = (n: number): Series[] =>
  n === 0 ? [] : [{ name: 'netbird_login', columns: ['time', 'n'], values: [[0, n]] }];

describe('GroupChooser', () => {
  it('asks for the largest counts, the unknown count and the total, with the filters', () => {
    const [largest, unknown, total] = new GroupChooser(scope, spec, 2).countStatements();
    expect(largest).toBe(
      `SELECT top("n", "version", 3) FROM (SELECT count("duration_seconds") AS "n" FROM "netbird_login" WHERE time >= 0ms AND time < 1000ms AND "deployment_type" = 'cloud' AND "version" != '' AND "version" != 'unknown' GROUP BY "version")`,
    );
    expect(unknown).toBe(
      `SELECT count("duration_seconds") AS "n" FROM "netbird_login" WHERE time >= 0ms AND time < 1000ms AND "deployment_type" = 'cloud' AND ("version" = '' OR "version" = 'unknown')`,
    );
    expect(total).toBe(
      `SELECT count("duration_seconds") AS "n" FROM "netbird_login" WHERE time >= 0ms AND time < 1000ms AND "deployment_type" = 'cloud'`,
    );
  });

  it('needs no second statement when every value was listed', () => {
    const chooser = new GroupChooser(scope, spec, 2);
    const tie = chooser.readCounts([
      top([
        ['b', 2],
        ['a', 2],
      ]),
      count(0),
      count(4),
    ]);
    expect(tie).toBeUndefined();
    expect(chooser.result()).toEqual({
      groups: [
        { label: 'a', condition: `"version" = 'a'`, count: 2 },
        { label: 'b', condition: `"version" = 'b'`, count: 2 },
      ],
      otherCount: 0,
      otherCondition: `"version" != 'a' AND "version" != 'b'`,
    });
  });

  it('needs none when the values left out have fewer samples than the last chosen', () => {
    const chooser = new GroupChooser(scope, spec, 2);
    const tie = chooser.readCounts([
      top([
        ['x', 5],
        ['y', 4],
        ['z', 1],
      ]),
      count(0),
      count(12),
    ]);
    expect(tie).toBeUndefined();
    const { groups, otherCount } = chooser.result();
    expect(groups.map((g) => g.label)).toEqual(['x', 'y']);
    expect(otherCount).toBe(3);
  });

  it('settles a tie at the limit by byte order, with the tied labels InfluxDB lists', () => {
    const chooser = new GroupChooser(scope, spec, 2);
    // top() picked two of the labels with 3 samples in no particular order.
    const tie = chooser.readCounts([
      top([
        ['big', 9],
        ['q', 3],
        ['m', 3],
      ]),
      count(0),
      count(20),
    ]);
    expect(tie).toBe(
      `SELECT "n", "version" FROM (SELECT count("duration_seconds") AS "n" FROM "netbird_login" WHERE time >= 0ms AND time < 1000ms AND "deployment_type" = 'cloud' AND "version" != '' AND "version" != 'unknown' GROUP BY "version") WHERE "n" = 3 LIMIT 2`,
    );
    chooser.readTie([
      {
        name: 'netbird_login',
        columns: ['time', 'n', 'version'],
        values: [
          [0, 3, 'c'],
          [0, 3, 'm'],
        ],
      },
    ]);
    const { groups, otherCount, otherCondition } = chooser.result();
    expect(groups.map((g) => [g.label, g.count])).toEqual([
      ['big', 9],
      ['c', 3],
    ]);
    expect(otherCount).toBe(8);
    expect(otherCondition).toBe(`"version" != 'big' AND "version" != 'c'`);
  });

  it('counts samples without the tag under "unknown", ranked like any label', () => {
    const chooser = new GroupChooser(scope, spec, 1);
    chooser.readCounts([top([['a', 2]]), count(3), count(5)]);
    const { groups, otherCount, otherCondition } = chooser.result();
    expect(groups).toEqual([
      { label: 'unknown', condition: `("version" = '' OR "version" = 'unknown')`, count: 3 },
    ]);
    expect(otherCount).toBe(2);
    expect(otherCondition).toBe(`"version" != '' AND "version" != 'unknown'`);
  });

  it('leaves the excluded values to their own rows, out of "other" too', () => {
    const phases = {
      measurement: 'netbird_sync_phase',
      field: 'duration_seconds',
      tag: 'phase',
    } as const;
    const chooser = new GroupChooser(scope, { ...phases, excluded: ['checks'] }, 1);
    const [largest, , total] = chooser.countStatements();
    expect(largest).toContain(`"phase" != 'checks' AND "phase" != '' AND "phase" != 'unknown'`);
    expect(total).toContain(`AND "phase" != 'checks'`);
    chooser.readCounts([top([['gamma', 2]], 'phase'), count(0), count(2)]);
    expect(chooser.result().otherCondition).toBe(`"phase" != 'checks' AND "phase" != 'gamma'`);
  });
});

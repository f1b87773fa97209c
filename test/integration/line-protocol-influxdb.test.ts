import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import { encodeLineProtocol, type Sample } from '../../src/index.js';
import { encodeStandardLine } from '../../src/protocol/line-protocol/encode.js';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  influxWrite,
  uniqueName,
} from '../helpers/backend-clients.js';

// InfluxDB 1.6 is the parser of record: what it reads back must be what we meant to write.
const url = inject('influxdbUrl');
let db: string;

beforeAll(async () => {
  db = uniqueName('lp');
  await influxCreateDatabase(url, db);
});

type Style = 'netbird' | 'standard';

/**
 * The documented replacement: backslashes, control characters, lone surrogates → `_`; in the
 * lines a NetBird client pushes also spaces and commas (NetBird's Go ingest splits on them).
 */
const expectedTag = (value: string, style: Style = 'netbird') =>
  value.replace(
    style === 'netbird'
      ? /[\\\u0000-\u001f\u007f ,]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
      : /[\\\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '_',
  );

async function roundTrip(measurement: string, samples: Sample[], style: Style = 'netbird') {
  const store = new SampleStore({ maxSamples: samples.length });
  const stored = samples.map((s) => store.add({ ...s, measurement }));
  const body =
    style === 'netbird'
      ? encodeLineProtocol(stored)
      : stored.map((s) => `${encodeStandardLine(s)}\n`).join('');
  await influxWrite(url, db, body, 'n');
  const series = await influxQuery(url, db, `SELECT * FROM "${measurement}"`, { epoch: 'ns' });
  const rows = series.flatMap(influxRows);
  return { stored, rows };
}

describe('line protocol against a real InfluxDB 1.6', () => {
  it('reads back awkward tag values, float fields and ns timestamps exactly', async () => {
    const awkward = [
      'plain',
      'with space',
      'comma,inside',
      'equals=sign',
      ' leading and trailing ',
      '"double" and \'single\' quotes',
      'ünïcødé ✓ 😀',
      'C:\\Program Files\\NetBird\\',
      'trailing backslash\\',
      'new\nline',
      'tab\there',
      '#not a comment',
      '=,= ,',
    ];
    const samples: Sample[] = awkward.map((version, i) => ({
      measurement: '',
      tags: { version, peer_id: `p${i}` },
      fields: { duration_seconds: [0.00005, 1234567, 0.1 + 0.2, 86400, 0, 1e-300][i % 6]! },
    }));
    for (const style of ['netbird', 'standard'] as const) {
      const { stored, rows } = await roundTrip(`awkward_${style}`, samples, style);
      expect(rows).toHaveLength(samples.length);
      const byPeer = new Map(rows.map((r) => [r.peer_id, r]));
      for (const s of stored) {
        const row = byPeer.get(s.tags.peer_id);
        expect(row).toBeDefined();
        expect(row?.version).toBe(expectedTag(s.tags.version!, style));
        expect(row?.duration_seconds).toBe(s.fields.duration_seconds);
        expect(row?.time).toBe(s.timestampNs);
      }
    }
  });

  it('every line with arbitrary tag values is accepted and means what was written', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            version: fc.string({ unit: 'binary', maxLength: 20 }),
            os: fc.string({
              unit: fc.constantFrom(' ', ',', '=', '\\', '"', '\n', 'a', 'é', '😀'),
              maxLength: 12,
            }),
            seconds: fc.double({ min: 0, max: 86_400, noNaN: true }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (records) => {
          for (const style of ['netbird', 'standard'] as const) {
            const measurement = `prop${run++}`;
            const samples: Sample[] = records.map((r, i) => ({
              measurement,
              tags: { version: r.version, os: r.os, peer_id: `p${i}` },
              fields: { duration_seconds: r.seconds },
            }));
            const { stored, rows } = await roundTrip(measurement, samples, style);
            const byPeer = new Map(rows.map((r) => [r.peer_id, r]));
            expect(byPeer.size).toBe(stored.length);
            // Empty values are left out of the line, so InfluxDB has no tag there.
            const tagOrNull = (v: string) =>
              expectedTag(v, style) === '' ? null : expectedTag(v, style);
            for (const s of stored) {
              const row = byPeer.get(s.tags.peer_id)!;
              expect(row.version ?? null).toBe(tagOrNull(s.tags.version!));
              expect(row.os ?? null).toBe(tagOrNull(s.tags.os!));
              expect(
                Object.is(row.duration_seconds, s.fields.duration_seconds) ||
                  (row.duration_seconds === 0 && s.fields.duration_seconds === 0),
              ).toBe(true);
              expect(row.time).toBe(s.timestampNs);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

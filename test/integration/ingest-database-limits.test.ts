// A database limit is not a bad body. Made-up peer ids fill InfluxDB 1.6's max-values-per-tag
// (here 10); from then on a new client's lines are refused by the database. The ingest must not
// tell that client to drop them (503: it keeps and resends them), must store and acknowledge what
// the database takes of a mixed push, and must count and log what was refused, naming the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
} from '../helpers/backend-clients.js';
import {
  push,
  send,
  startIngest,
  syncLine,
  type TestIngest,
  TS,
} from '../helpers/ingest-server.js';
import { type RunningServer, startInfluxDB } from '../setup/backends.js';

const MAX_VALUES_PER_TAG = 10;
const MAX_SERIES = 5;

let valuesLimited: RunningServer;
let seriesLimited: RunningServer;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [valuesLimited, seriesLimited] = await Promise.all([
    startInfluxDB({ env: { INFLUXDB_DATA_MAX_VALUES_PER_TAG: String(MAX_VALUES_PER_TAG) } }),
    startInfluxDB({ env: { INFLUXDB_DATA_MAX_SERIES_PER_DATABASE: String(MAX_SERIES) } }),
  ]);
}, 30_000);

afterAll(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
  await Promise.all([valuesLimited?.dispose(), seriesLimited?.dispose()]);
});

async function ingestFor(influx: RunningServer): Promise<{ ingest: TestIngest; db: string }> {
  const db = uniqueName('limits');
  await influxCreateDatabase(influx.url, db);
  const ingest = await startIngest({ influxdbUrl: `${influx.url}/write?db=${db}` });
  cleanup.push(() => ingest.stop());
  return { ingest, db };
}

function peer(n: number): string {
  return n.toString(16).padStart(16, '0');
}

const KNOWN = 'a0a0a0a0a0a0a0a0';
const NEW_CLIENT = 'b1b1b1b1b1b1b1b1';

async function stored(influx: RunningServer, db: string, measurement: string) {
  const [series] = await influxQuery(
    influx.url,
    db,
    `SELECT duration_seconds, peer_id FROM ${measurement}`,
  );
  return influxRows(series).map((r) => ({ peer: r.peer_id, time: r.time }));
}

async function metrics(ingest: TestIngest): Promise<string> {
  return (await send(ingest.url, { method: 'GET', path: '/metrics' })).body;
}

describe('InfluxDB 1.6 max-values-per-tag reached', () => {
  it('a new client is told to keep its lines (503), a known one is stored, a mixed push is stored but for the refused lines', async () => {
    const { ingest, db } = await ingestFor(valuesLimited);
    expect((await push(ingest.url, syncLine(TS, '1', KNOWN))).status).toBe(204);

    // The flood: one line per made-up peer id, until the database's limit is reached and past it.
    const flood: number[] = [];
    for (let i = 1; i <= 30; i++) {
      flood.push((await push(ingest.url, syncLine(TS + BigInt(i), '2', peer(i)))).status);
    }
    const fits = MAX_VALUES_PER_TAG - 1;
    expect(flood).toEqual([...Array(fits).fill(204), ...Array(30 - fits).fill(503)]);

    // A legitimate client that arrives now: none of its lines can be stored. It must keep them.
    const fresh = await push(
      ingest.url,
      [syncLine(TS + 100n, '3', NEW_CLIENT), syncLine(TS + 101n, '3', NEW_CLIENT)].join('\n'),
    );
    expect(fresh.status).toBe(503);
    expect(fresh.headers['retry-after']).toMatch(/^\d+$/);
    expect(fresh.body).toContain('max-values-per-tag');

    // A known client's push with one line the limit refuses among its own: InfluxDB 1.6 loses
    // more than the refused point of such a write, so the ingest writes the rest again.
    const mixed = [
      syncLine(TS + 200n, '4', KNOWN),
      syncLine(TS + 201n, '4', peer(999)),
      syncLine(TS + 202n, '4', KNOWN),
    ];
    expect((await push(ingest.url, mixed.join('\n'))).status).toBe(204);

    const sync = await stored(valuesLimited, db, 'netbird_sync');
    expect(sync.filter((p) => p.peer === KNOWN).map((p) => p.time)).toEqual([
      TS,
      TS + 200n,
      TS + 202n,
    ]);
    expect(sync.filter((p) => p.peer === NEW_CLIENT || p.peer === peer(999))).toEqual([]);
    expect(sync).toHaveLength(1 + fits + 2);

    const text = await metrics(ingest);
    const refused = 30 - fits + 2 + 1;
    expect(text).toContain(
      `netbird_ingest_limit_refused_lines_total{limit="max-values-per-tag"} ${refused}`,
    );
    expect(text).toContain(
      `netbird_ingest_requests_total{code="503",reason="database limit"} ${30 - fits + 1}`,
    );
    expect(text).toContain('netbird_ingest_requests_total{code="204",reason="partly stored"} 1');
    expect(text).toContain(`netbird_ingest_lines_total{outcome="stored"} ${1 + fits + 2}`);
    expect(text).not.toMatch(/netbird_ingest_requests_total\{code="4\d\d"/);
    expect(text).toContain(
      `netbird_ingest_upstream_writes_total{sink="influxdb-v1",outcome="limited"} ${30 - fits + 1}`,
    );
    expect(text).toContain(
      `netbird_ingest_upstream_writes_total{sink="influxdb-v1",outcome="ok"} ${1 + fits + 1}`,
    );

    const logged = ingest.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        limit: 'max-values-per-tag',
        refused: 1,
        stored: 2,
        error: expect.stringContaining(`value="${peer(999)}"`),
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        status: 503,
        reason: 'database limit',
        error: expect.stringContaining(`value="${NEW_CLIENT}"`),
      }),
    );
  });
});

describe('InfluxDB 1.6 max-series-per-database reached', () => {
  it('the refusal names no line, so halves are written to find the stored ones; only new series: 503', async () => {
    const { ingest, db } = await ingestFor(seriesLimited);
    const series = Array.from({ length: MAX_SERIES }, (_, i) =>
      syncLine(TS + BigInt(i), '1', peer(i)),
    );
    expect((await push(ingest.url, series.join('\n'))).status).toBe(204);

    // Lines of known series around two new ones, which the database refuses.
    const mixed = [
      syncLine(TS + 10n, '2', peer(0)),
      syncLine(TS + 11n, '2', peer(77)),
      syncLine(TS + 12n, '2', peer(1)),
      syncLine(TS + 13n, '2', peer(2)),
      syncLine(TS + 14n, '2', peer(78)),
      syncLine(TS + 15n, '2', peer(3)),
    ];
    expect((await push(ingest.url, mixed.join('\n'))).status).toBe(204);
    const fresh = await push(ingest.url, syncLine(TS + 20n, '3', peer(79)));
    expect(fresh.status).toBe(503);
    expect(fresh.body).toContain('max-series-per-database');
    expect(fresh.headers['retry-after']).toMatch(/^\d+$/);

    const points = await stored(seriesLimited, db, 'netbird_sync');
    const times = (p: string) => points.filter((x) => x.peer === p).map((x) => x.time);
    expect(times(peer(0))).toEqual([TS, TS + 10n]);
    expect(times(peer(1))).toEqual([TS + 1n, TS + 12n]);
    expect(times(peer(2))).toEqual([TS + 2n, TS + 13n]);
    expect(times(peer(3))).toEqual([TS + 3n, TS + 15n]);
    expect(points).toHaveLength(MAX_SERIES + 4);
    const text = await metrics(ingest);
    expect(text).toContain(
      'netbird_ingest_limit_refused_lines_total{limit="max-series-per-database"} 3',
    );
    expect(text).toContain('netbird_ingest_requests_total{code="204",reason="partly stored"} 1');
    expect(text).toContain('netbird_ingest_requests_total{code="503",reason="database limit"} 1');
    expect(text).toContain(
      'netbird_ingest_upstream_writes_total{sink="influxdb-v1",outcome="limited"} 1',
    );
  });
});

import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type ClientMetrics,
  CONNECTION_TYPES,
  ConnectionStages,
  createClientMetrics,
  type StoredSample,
} from '../../src/index.js';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
  vmExport,
  vmForceFlush,
  waitFor,
} from '../helpers/backend-clients.js';
import { startIngest, type TestIngest } from '../helpers/ingest-server.js';
import { testProvider } from '../helpers/test-reader.js';

// The whole InfluxDB path as a NetBird client uses it: ClientMetrics → gzip push → ingest
// (validation) → a real database, read back exactly.

const influx = inject('influxdbUrl');
const victoria = inject('victoriaUrl');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function client(ingest: TestIngest, id: number): Promise<ClientMetrics> {
  const m = createClientMetrics({
    version: '0.61.2',
    managementUrl: 'https://api.netbird.io:443',
    publicKey: `client-${id}-key-base64-aaaaaaaaaaaaaaaaaaaaaaaa=`,
    os: 'linux',
    arch: 'amd64',
    meterProvider: testProvider().provider,
    env: {
      NB_METRICS_PUSH_ENABLED: 'true',
      NB_METRICS_FORCE_SENDING: 'true',
      NB_METRICS_SERVER_URL: `${ingest.url}/`,
      NB_METRICS_INTERVAL: '1h', // only the explicit flushes below push
    },
  });
  cleanup.push(() => m.shutdown());
  return m;
}

/** Records a realistic mix; returns what the store holds (what must arrive). */
function recordMix(m: ClientMetrics, n: number): StoredSample[] {
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const s = new ConnectionStages();
    s.signalingReceived(now - 3000 + i);
    s.connectionReady(now - 1500 + i);
    s.wgHandshake(now - 200 + i);
    m.recordConnection(s, CONNECTION_TYPES[i % 3]!, `remote-${i}`);
    m.recordSync((i + 1) / 100);
    m.recordSyncPhase('routes_apply', (5 * (i + 1)) / 100_000);
    // Values with short decimal forms: VictoriaMetrics keeps about 12 significant digits.
    m.recordLogin((50 + i) / 100, i % 4 !== 0);
  }
  return m.store.samples();
}

const byTimeThenValue = (a: { t?: number; v?: number }, b: { t?: number; v?: number }) =>
  a.t! - b.t! || a.v! - b.v!;

describe('client push → ingest → real databases', () => {
  it('InfluxDB 1.6 /write: every sample arrives exactly once, values and ns timestamps exact', async () => {
    const db = uniqueName('e2e');
    await influxCreateDatabase(influx, db);
    const ingest = await startIngest({ influxdbUrl: `${influx}/write?db=${db}` });
    cleanup.push(() => ingest.stop());
    const clients = [await client(ingest, 1), await client(ingest, 2)];
    const expected = clients.flatMap((m) => recordMix(m, 40));
    await Promise.all(clients.map((m) => m.forceFlush()));
    for (const m of clients) {
      expect(m.store.size).toBe(0);
      expect(m.stats().push.samplesSent).toBe(160);
    }

    for (const measurement of [
      'netbird_peer_connection',
      'netbird_sync',
      'netbird_sync_phase',
      'netbird_login',
    ]) {
      const want = expected.filter((s) => s.measurement === measurement);
      const rows = (await influxQuery(influx, db, `SELECT * FROM ${measurement}`)).flatMap(
        influxRows,
      );
      expect(rows).toHaveLength(want.length);
      // Two clients may stamp the same nanosecond: a point is its series plus its time.
      const byKey = new Map(rows.map((r) => [`${r.peer_id} ${r.time}`, r]));
      for (const s of want) {
        const row = byKey.get(`${s.tags.peer_id} ${s.timestampNs}`);
        expect(row, `${measurement} at ${s.timestampNs}`).toBeDefined();
        for (const [k, v] of Object.entries(s.tags)) expect(row?.[k]).toBe(v);
        for (const [k, v] of Object.entries(s.fields)) expect(row?.[k]).toBe(v);
      }
    }
  });

  it('VictoriaMetrics /api/v2/write: samples arrive with their values and labels', async () => {
    const bucket = uniqueName('e2e');
    const ingest = await startIngest({
      influxdbUrl: `${victoria}/api/v2/write?org=netbird&bucket=${bucket}&precision=ns`,
      influxdbToken: 'unused-by-victoria',
    });
    cleanup.push(() => ingest.stop());
    const m = await client(ingest, 3);
    const expected = recordMix(m, 10).filter((s) => s.measurement === 'netbird_login');
    await m.forceFlush();
    expect(m.store.size).toBe(0);

    await vmForceFlush(victoria);
    const peer = expected[0]!.tags.peer_id!;
    const series = await waitFor(
      () => vmExport(victoria, `{__name__="netbird_login_duration_seconds",peer_id="${peer}"}`),
      {
        timeoutMs: 15_000,
        until: (s) => s.reduce((n, x) => n + x.values.length, 0) === expected.length,
        what: 'login samples in VictoriaMetrics',
      },
    );
    const got = series
      .flatMap((s) => s.values.map((v, i) => ({ v, t: s.timestamps[i], result: s.metric.result })))
      .sort(byTimeThenValue);
    // VictoriaMetrics keeps milliseconds only, so samples of one millisecond tie on time.
    const want = expected
      .map((s) => ({
        v: s.fields.duration_seconds,
        t: Number(s.timestampNs / 1_000_000n),
        result: s.tags.result,
      }))
      .sort(byTimeThenValue);
    expect(got).toEqual(want);
  });
});

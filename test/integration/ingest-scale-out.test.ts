// Two ingest processes behind a real nginx, writing to one InfluxDB 1.6: clients push through the
// balancer while each instance in turn is killed (SIGKILL, nothing finishes) and started again.
// Clients resend whatever was not acknowledged; at the end every acknowledged sample is in the
// database exactly once, and nothing else is.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
  waitFor,
} from '../helpers/backend-clients.js';
import { push, syncLine } from '../helpers/ingest-server.js';
import {
  freePorts,
  type RunningServer,
  startIngestProcess,
  startNginx,
} from '../setup/backends.js';

const CLIENTS = 4;
const LINES_PER_BATCH = 25;
/** Pushes (acknowledged, through the balancer) between two steps of the kill schedule. */
const PUSHES_PER_STEP = 12;
/** A client gives up on a batch after this many tries; far more than a restart needs. */
const MAX_TRIES = 400;
const RETRY_DELAY_MS = 25;

const influx = inject('influxdbUrl');
const db = uniqueName('scale_out');
const servers: RunningServer[] = [];
let ingests: [RunningServer, RunningServer];
let balancer: RunningServer;

beforeAll(async () => {
  await influxCreateDatabase(influx, db);
  const [p1, p2] = (await freePorts(2)) as [number, number];
  const env = {
    INFLUXDB_URL: `${influx}/write?db=${db}`,
    // The balancer's address is every client's: count clients by the header it sets.
    INGEST_CLIENT_IP_HEADER: 'X-Forwarded-For',
    INGEST_PEER_RATE_PER_MINUTE: '0',
    INGEST_ADDRESS_RATE_PER_MINUTE: '0',
    INGEST_SHUTDOWN_TIMEOUT_MS: '1000',
  };
  ingests = await Promise.all([
    startIngestProcess({ port: p1, env, readyTimeoutMs: 30_000 }),
    startIngestProcess({ port: p2, env, readyTimeoutMs: 30_000 }),
  ]);
  servers.push(...ingests);
  balancer = await startNginx({ upstreams: [p1, p2] });
  servers.push(balancer);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});

function peerId(client: number): string {
  return `${'cafe'.repeat(3)}${String(client).padStart(4, '0')}`;
}

/** Batch `n` of a client: its own timestamps, so every sample is one point. */
function batchOf(client: number, n: number): { body: string; timestamps: bigint[] } {
  const base = 1_764_000_000_000_000_000n + BigInt(client) * 1_000_000_000_000n;
  const timestamps = Array.from(
    { length: LINES_PER_BATCH },
    (_, i) => base + BigInt(n * LINES_PER_BATCH + i),
  );
  const body = timestamps.map((ts, i) => syncLine(ts, String(i), peerId(client))).join('\n');
  return { body, timestamps };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two ingest instances behind nginx, one killed and restarted at a time', () => {
  it('every acknowledged sample is stored exactly once', async () => {
    const acknowledged = new Map<number, bigint[]>();
    let pushes = 0;
    const failures = new Map<string, number>();
    let stop = false;

    const client = async (id: number) => {
      const acked: bigint[] = [];
      acknowledged.set(id, acked);
      for (let n = 0; !stop; n++) {
        const batch = batchOf(id, n);
        for (let tries = 1; ; tries++) {
          const answer = await push(balancer.url, batch.body, { 'x-peer-id': peerId(id) }).catch(
            (error: Error) => ({ status: 0, body: error.message }),
          );
          if (answer.status === 204) break;
          // 502 while both instances are marked down: nginx's passive checks keep a restarted
          // one out for fail_timeout after its last failure.
          const key = String(answer.status);
          failures.set(key, (failures.get(key) ?? 0) + 1);
          if (tries >= MAX_TRIES) {
            throw new Error(`client ${id}: batch ${n} not acknowledged after ${tries} tries`);
          }
          await delay(RETRY_DELAY_MS);
        }
        acked.push(...batch.timestamps);
        pushes++;
      }
    };

    const afterPushes = (what: string) => {
      const target = pushes + PUSHES_PER_STEP;
      return waitFor(() => pushes, {
        timeoutMs: 60_000,
        intervalMs: 10,
        until: (n) => n >= target,
        what: `${PUSHES_PER_STEP} acknowledged pushes ${what}`,
      });
    };

    const running = Array.from({ length: CLIENTS }, (_, id) => client(id));
    const schedule = async () => {
      try {
        await afterPushes('before the first kill');
        for (const instance of ingests) {
          const pid = instance.pid;
          await instance.stop({ force: true });
          await afterPushes(`while instance pid ${pid} is down`);
          await instance.restart();
          await afterPushes('after the restart');
        }
      } finally {
        stop = true;
      }
    };
    await Promise.all([schedule(), ...running]);

    const expected = [...acknowledged.entries()].flatMap(([id, ts]) =>
      ts.map((t) => `${peerId(id)} ${t}`),
    );
    const [series] = await influxQuery(
      influx,
      db,
      'SELECT duration_seconds, peer_id FROM netbird_sync',
    );
    const stored = influxRows(series).map((row) => `${String(row.peer_id)} ${String(row.time)}`);
    expect(stored.length).toBe(new Set(stored).size);
    expect(new Set(stored)).toEqual(new Set(expected));
    expect(stored).toHaveLength(expected.length);
    // Pushes did fail on the way (a killed instance), and were sent again.
    expect(pushes).toBeGreaterThanOrEqual(5 * PUSHES_PER_STEP);
    console.log(
      `scale-out: ${pushes} pushes acknowledged (${expected.length} samples), failed answers resent: ${JSON.stringify(Object.fromEntries(failures))}`,
    );
  }, 180_000);
});

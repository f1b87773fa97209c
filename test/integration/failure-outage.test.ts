// Failure test 7: the database goes away while a fleet is pushing. A private InfluxDB 1.6 is
// stopped for a while during a running push (clients → ingest → InfluxDB) and started again;
// afterwards InfluxDB holds exactly the samples the clients recorded: none lost, none twice.
import { randomBytes } from 'node:crypto';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientMetrics } from '../../src/client/client-metrics.js';
import { createIngestServer, type IngestServer } from '../../src/ingest/server.js';
import { SYNC_PHASES } from '../../src/protocol/schema.js';
import { influxCreateDatabase, influxQuery, waitFor } from '../helpers/backend-clients.js';
import { type RunningServer, startInfluxDB } from '../setup/backends.js';

const PEERS = 8;
const DB = 'outage';
/** Recording pace per client, and how long each phase of the test lasts. */
const RECORD_EVERY_MS = 25;
const BEFORE_MS = 1_200;
const OUTAGE_MS = 2_500;
const AFTER_MS = 1_200;

let influx: RunningServer;
let ingest: IngestServer;
let ingestUrl: string;
const clients: ClientMetrics[] = [];
const providers: MeterProvider[] = [];

beforeAll(async () => {
  // A private InfluxDB: stopping it must not disturb the other test files.
  influx = await startInfluxDB();
  await influxCreateDatabase(influx.url, DB);
  ingest = createIngestServer({
    influxdbUrl: `${influx.url}/write?db=${DB}`,
    // Fast failure and short waits keep the test short; the behaviour is the production one.
    upstreamTimeoutMs: 1_000,
    retryAfterSeconds: 1,
    peerRatePerMinute: 0,
    logLevel: 'silent',
  });
  ingestUrl = (await ingest.listen(0, '127.0.0.1')).url;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.shutdown()));
  await Promise.all(providers.map((p) => p.shutdown()));
  await ingest?.close();
  await influx?.dispose();
}, 60_000);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function countIn(measurement: string, field: string): Promise<number> {
  const series = await influxQuery(
    influx.url,
    DB,
    `SELECT count("${field}") FROM "${measurement}"`,
  );
  const value = series[0]?.values[0]?.[1];
  return typeof value === 'number' ? value : 0;
}

describe('an InfluxDB outage during a running fleet push', () => {
  it('loses nothing and stores nothing twice once InfluxDB is back', async () => {
    for (let p = 0; p < PEERS; p++) {
      const provider = new MeterProvider();
      providers.push(provider);
      const client = new ClientMetrics({
        version: '0.40.1',
        managementUrl: 'https://netbird.example.com',
        publicKey: randomBytes(32).toString('base64'),
        meterProvider: provider,
        env: {},
      });
      clients.push(client);
      const started = client.startPush({
        forceSending: true,
        serverUrl: ingestUrl,
        intervalMs: 150,
        maxBackoffMs: 1_000,
        requestTimeoutMs: 3_000,
      });
      expect(started).toBe(true);
    }

    // Each client records a sync and one of its phases, or a login, on a timer throughout.
    const recorded = { netbird_sync: 0, netbird_sync_phase: 0, netbird_login: 0 };
    let recording = true;
    const recorders = clients.map(async (client, p) => {
      let n = 0;
      while (recording) {
        if ((n + p) % 5 === 0) {
          if (client.recordLogin(0.5 + (n % 7) / 10, n % 3 !== 0)) recorded.netbird_login++;
        } else {
          if (client.recordSync(0.1 + (n % 11) / 100)) recorded.netbird_sync++;
          const phase = SYNC_PHASES[n % SYNC_PHASES.length]!;
          if (client.recordSyncPhase(phase, 0.001 * (n % 13))) recorded.netbird_sync_phase++;
        }
        n++;
        await sleep(RECORD_EVERY_MS);
      }
    });

    await sleep(BEFORE_MS);
    const sentBefore = clients.reduce((s, c) => s + c.stats().push.samplesSent, 0);
    await influx.stop();
    await sleep(OUTAGE_MS);
    const during = clients.map((c) => c.stats());
    await influx.restart();
    await sleep(AFTER_MS);
    recording = false;
    await Promise.all(recorders);

    // Everything recorded is pushed in the end (each client's store drains).
    await waitFor(
      async () => {
        await Promise.all(clients.map((c) => c.forceFlush()));
        return clients.every((c) => c.store.size === 0);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'every client store to drain' },
    );

    let total = 0;
    for (const c of clients) {
      const s = c.stats();
      expect(s.rejectedBySchema).toBe(0);
      expect(s.droppedBySize + s.droppedByAge).toBe(0);
      expect(s.push.samplesDroppedByServer).toBe(0);
      total += s.recorded;
    }
    const stored = {
      netbird_sync: await countIn('netbird_sync', 'duration_seconds'),
      netbird_sync_phase: await countIn('netbird_sync_phase', 'duration_seconds'),
      netbird_login: await countIn('netbird_login', 'duration_seconds'),
    };

    // The outage was real: pushes failed while InfluxDB was down and were retried later.
    expect(sentBefore).toBeGreaterThan(0);
    expect(during.reduce((s, c) => s + c.push.retries, 0)).toBeGreaterThan(0);
    expect(during.some((c) => c.stored > 0)).toBe(true);
    expect(ingest.metrics.requests.get(['503', 'upstream unavailable'])).toBeGreaterThan(0);
    // Nothing lost: every recorded sample is in InfluxDB (samples of a series never share a
    // timestamp, so InfluxDB would otherwise have collapsed two into one point).
    expect(stored).toEqual(recorded);
    expect(recorded.netbird_sync + recorded.netbird_sync_phase + recorded.netbird_login).toBe(
      total,
    );
    // Nothing twice: the ingest stored exactly as many lines as were recorded.
    expect(ingest.metrics.lines.get(['stored'])).toBe(total);
    expect(clients.reduce((s, c) => s + c.stats().push.samplesSent, 0)).toBe(total);
  }, 60_000);
});

// Group commit against real databases: concurrent pushes share one database write, yet each
// client is answered only once its own lines are stored, a line the database refuses fails only
// the client that sent it, and an outage during a combined write acknowledges nothing.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  influxCreateDatabase,
  influxQuery,
  influxWrite,
  uniqueName,
  vmExport,
  vmForceFlush,
} from '../helpers/backend-clients.js';
import { type Answer, push, startIngest, syncLine, TS } from '../helpers/ingest-server.js';
import { type RunningServer, startInfluxDB } from '../setup/backends.js';

const CLIENTS = 24;
const LINES = 30;
/** Long enough that every push of a test joins the same combined write. */
const LINGER_MS = 150;

let influx: RunningServer;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // A private InfluxDB: its write counter is this file's alone, and the outage test stops it.
  influx = await startInfluxDB();
}, 30_000);

afterAll(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
  await influx?.dispose();
}, 30_000);

function peer(n: number): string {
  return (0xc0000000 + n).toString(16).padStart(16, '0');
}

/** Client n's push: `LINES` lines of its own peer id, at `base` + i·`step` ns. */
function body(n: number, base = TS, step = 1n): string {
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    lines.push(syncLine(base + BigInt(i) * step, String(n + i / 100), peer(n)));
  }
  return `${lines.join('\n')}\n`;
}

function sendBody(url: string, text: string, gzip: boolean): Promise<Answer> {
  return gzip ? push(url, gzipSync(text), { 'content-encoding': 'gzip' }) : push(url, text);
}

async function ingestTo(influxdbUrl: string, extra: Record<string, unknown> = {}) {
  const ingest = await startIngest({
    influxdbUrl,
    influxdbToken: 'token',
    groupCommitLingerMs: LINGER_MS,
    groupCommitMaxLines: 100_000,
    upstreamTimeoutMs: 2_000,
    retryAfterSeconds: 1,
    // Every test client comes from 127.0.0.1: room for all of them at once, as from many hosts.
    maxConcurrentRequests: 256,
    ...extra,
  });
  cleanup.push(() => ingest.stop());
  return ingest;
}

async function influxCount(db: string, n: number): Promise<number> {
  const [series] = await influxQuery(
    influx.url,
    db,
    `SELECT count(duration_seconds) FROM netbird_sync WHERE peer_id = '${peer(n)}'`,
  );
  const value = series?.values[0]?.[1];
  return typeof value === 'number' ? value : 0;
}

/** Write requests InfluxDB has served since it started (its own counter). */
async function influxWrites(): Promise<number> {
  const series = await influxQuery(influx.url, '_internal', `SHOW STATS FOR 'httpd'`);
  const row = series[0];
  const at = row?.columns.indexOf('writeReq') ?? -1;
  const value = row?.values[0]?.[at];
  return typeof value === 'number' ? value : 0;
}

describe('group commit into InfluxDB 1.6', () => {
  it('concurrent clients share a write; each is answered after its lines are stored, every line once', async () => {
    const db = uniqueName('group');
    await influxCreateDatabase(influx.url, db);
    // The group is written the moment it holds every client's lines, and the linger is far
    // longer than any push can take to arrive: one write, however loaded the machine is.
    const ingest = await ingestTo(`${influx.url}/write?db=${db}`, {
      groupCommitMaxLines: CLIENTS * LINES,
      groupCommitLingerMs: 60_000,
      upstreamGzipMinBytes: 64 * 1024,
    });
    const writesBefore = await influxWrites();
    // Each client looks in the database the moment its answer arrives.
    const seen = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, n) => {
        // Half the clients gzip: the combined write (over 64 KiB) is their own members with
        // the plain pushes compressed between them.
        const answer = await sendBody(ingest.url, body(n), n % 2 === 0);
        return { status: answer.status, stored: await influxCount(db, n) };
      }),
    );
    expect(seen).toEqual(Array.from({ length: CLIENTS }, () => ({ status: 204, stored: LINES })));
    const [total] = await influxQuery(
      influx.url,
      db,
      'SELECT count(duration_seconds) FROM netbird_sync',
    );
    expect(total?.values[0]?.[1]).toBe(CLIENTS * LINES);
    // One database write for all the pushes (this InfluxDB has no other writer).
    expect((await influxWrites()) - writesBefore).toBe(1);
    // The ingest's own account of it: one combined write of every push.
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(metrics).toContain('netbird_ingest_group_commit_pushes_count 1\n');
    expect(metrics).toContain(`netbird_ingest_group_commit_pushes_sum ${CLIENTS}\n`);
    expect(metrics).toContain('netbird_ingest_group_commit_pushes_bucket{le="16"} 0\n');
    expect(metrics).toContain('netbird_ingest_group_commit_pushes_bucket{le="32"} 1\n');
  });

  it('a line the database refuses (field type conflict) fails only its client, not the others in the write', async () => {
    const db = uniqueName('group_conflict');
    await influxCreateDatabase(influx.url, db);
    // A later shard where duration_seconds is a string: a float there is refused by the database.
    const later = TS + 30n * 86_400n * 1_000_000_000n;
    await influxWrite(
      influx.url,
      db,
      `netbird_sync,peer_id=ffffffffffffffff duration_seconds="slow" ${later - 1n}\n`,
      'n',
    );
    const ingest = await ingestTo(`${influx.url}/write?db=${db}`);
    const BAD = 5;
    const answers: Answer[] = await Promise.all(
      Array.from({ length: 8 }, (_, n) => push(ingest.url, body(n, n === BAD ? later : TS))),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses).toEqual(statuses.map((_, n) => (n === BAD ? 400 : 204)));
    expect(answers[BAD]?.body).toMatch(/field type conflict/);
    for (let n = 0; n < 8; n++) {
      expect(await influxCount(db, n), `client ${n}`).toBe(n === BAD ? 0 : LINES);
    }
  });

  it('an outage during a combined write acknowledges nothing that is not stored', async () => {
    const db = uniqueName('group_outage');
    await influxCreateDatabase(influx.url, db);
    // A linger far longer than stopping the database takes, even on a loaded machine.
    const ingest = await ingestTo(`${influx.url}/write?db=${db}`, { groupCommitLingerMs: 2_000 });
    const answers = Array.from({ length: 8 }, (_, n) => push(ingest.url, body(n)));
    // The pushes wait in the open group while the database goes away.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await influx.stop({ force: true });
    const statuses = (await Promise.all(answers)).map((a) => a.status);
    await influx.restart();
    expect(statuses).toEqual(Array(8).fill(503));
    for (let n = 0; n < 8; n++) expect(await influxCount(db, n)).toBe(0);
    // Sent again once the database is back, every line is stored.
    const again = await Promise.all(Array.from({ length: 8 }, (_, n) => push(ingest.url, body(n))));
    expect(again.map((a) => a.status)).toEqual(Array(8).fill(204));
    for (let n = 0; n < 8; n++) expect(await influxCount(db, n)).toBe(LINES);
  }, 30_000);
});

describe('group commit into VictoriaMetrics (/api/v2/write)', () => {
  it('concurrent clients share a write; each is answered after its lines are stored, every line once', async () => {
    const vm = inject('victoriaUrl');
    // Gzip from the first byte on, so the clients' members are passed through.
    const ingest = await ingestTo(`${vm}/api/v2/write?org=o&bucket=b`, {
      upstreamGzipMinBytes: 0,
    });
    const base = BigInt(Date.now() - 60_000) * 1_000_000n;
    const samplesOf = async (n: number) => {
      await vmForceFlush(vm);
      const series = await vmExport(
        vm,
        `{__name__="netbird_sync_duration_seconds",peer_id="${peer(n + 500)}"}`,
      );
      return series.flatMap((s) => s.timestamps).length;
    };
    const seen = await Promise.all(
      Array.from({ length: 12 }, async (_, n) => {
        // A millisecond apart: VictoriaMetrics keeps milliseconds.
        // Every client gzips: the combined write is their members one after another.
        const answer = await sendBody(ingest.url, body(n + 500, base, 1_000_000n), true);
        return { status: answer.status, stored: await samplesOf(n) };
      }),
    );
    expect(seen).toEqual(Array.from({ length: 12 }, () => ({ status: 204, stored: LINES })));
  });
});

// A body sent again after its answer was lost: InfluxDB keeps one point per series and time, and
// the embedded store has to agree (one line per point), within a bounded memory of recent points,
// also across a restart. Lines without a timestamp are each their own point.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  EmbeddedStore,
  type EmbeddedStoreOptions,
  storeFileName,
} from '../../src/ingest/sinks/embedded-store.js';
import type { Sample } from '../../src/protocol/schema.js';
import { influxCreateDatabase, influxQuery, uniqueName } from '../helpers/backend-clients.js';
import { PEER_ID, push, startIngest, syncLine } from '../helpers/ingest-server.js';
import { ROOT } from '../helpers/run-script.js';
import { crashLine } from '../helpers/store-writer.js';

const NOON = Date.parse('2026-03-10T12:00:00Z');
const T0 = 1_773_144_000_000_000_000n;
const HEADER = '# DML\n# CONTEXT-DATABASE: netbird\n';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netbird-store-retry-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(
  options: Partial<EmbeddedStoreOptions> & { dataDir: string },
): Promise<EmbeddedStore> {
  const store = await EmbeddedStore.open({
    retentionDays: 30,
    retentionBytes: 1024 * 1024,
    clock: () => NOON,
    ...options,
  });
  cleanup.push(() => store.close());
  return store;
}

const line = (i: number) => `${syncLine(T0 + BigInt(i), String(i))}\n`;

function batch(text: string) {
  const piece = Buffer.from(text);
  return { pieces: [piece], byteLength: piece.length, lines: text.split('\n').length - 1 };
}

async function samples(store: EmbeddedStore): Promise<Sample[]> {
  const all: Sample[] = [];
  for await (const s of store.readSamples()) all.push(s);
  return all;
}

async function storedText(dir: string): Promise<string> {
  return (await readFile(join(dir, storeFileName('2026-03-10')), 'utf8')).slice(HEADER.length);
}

describe('resent bodies', () => {
  const influx = inject('influxdbUrl');

  it('a body pushed twice is stored once by the embedded store, as InfluxDB 1.6 stores it', async () => {
    const body = [
      syncLine(T0 + 1n, '1.5'),
      syncLine(T0 + 2n, '2.5'),
      // The same series at another time is another point.
      syncLine(T0 + 3n, '1.5'),
      `netbird_login,deployment_type=cloud,result=success,version=0.61.2,os=linux,arch=amd64,peer_id=${PEER_ID} duration_seconds=0.8 ${T0 + 1n}`,
    ].join('\n');

    const embedded = await startIngest();
    cleanup.push(() => embedded.stop());
    const db = uniqueName('retry');
    await influxCreateDatabase(influx, db);
    const database = await startIngest({ influxdbUrl: `${influx}/write?db=${db}` });
    cleanup.push(() => database.stop());

    for (const ingest of [embedded, database]) {
      expect((await push(ingest.url, body)).status).toBe(204);
      expect((await push(ingest.url, body)).status).toBe(204);
    }
    const stored = await samples(embedded.server.sink as EmbeddedStore);
    const [sync] = await influxQuery(
      influx,
      db,
      'SELECT count(duration_seconds) FROM netbird_sync',
    );
    const [login] = await influxQuery(
      influx,
      db,
      'SELECT count(duration_seconds) FROM netbird_login',
    );
    const inInflux = Number(sync!.values[0]![1]) + Number(login!.values[0]![1]);
    expect(inInflux).toBe(4);
    expect(stored).toHaveLength(inInflux);
    expect(stored.map((s) => s.timestampNs)).toEqual([T0 + 1n, T0 + 2n, T0 + 3n, T0 + 1n]);
  });

  it('stores a line again only if its point differs: a repeat inside one batch, or across concurrent ones, counts once', async () => {
    const dir = await tempDir();
    const store = await openStore({ dataDir: dir });
    await store.write(batch(line(1) + line(1) + line(2)));
    await Promise.all([store.write(batch(line(2) + line(3))), store.write(batch(line(3)))]);
    // `0001` is the same time as `1` to a database.
    await store.write(batch(line(1).replace(` ${T0 + 1n}`, ` 000${T0 + 1n}`)));
    expect(await storedText(dir)).toBe(line(1) + line(2) + line(3));
    expect(store.recentPoints).toBe(3);
  });

  it('gives each line without a timestamp its own, distinct within a series', async () => {
    const ingest = await startIngest();
    cleanup.push(() => ingest.stop());
    const series = `netbird_sync,deployment_type=cloud,version=0.61.2,os=linux,arch=amd64,peer_id=${PEER_ID}`;
    const before = BigInt(Date.now()) * 1_000_000n;
    const body = `${series} duration_seconds=1\n${series} duration_seconds=2\n${series} duration_seconds=3\n`;
    expect((await push(ingest.url, body)).status).toBe(204);
    expect((await push(ingest.url, body)).status).toBe(204);
    const stored = await samples(ingest.server.sink as EmbeddedStore);
    expect(stored.map((s) => s.fields.duration_seconds)).toEqual([1, 2, 3, 1, 2, 3]);
    const stamps = stored.map((s) => s.timestampNs!);
    expect(new Set(stamps).size).toBe(6);
    for (const t of stamps) expect(t >= before).toBe(true);
    expect([...stamps].sort((a, b) => (a < b ? -1 : 1))).toEqual(stamps);
  });

  it('remembers recent points within its memory bound, forgetting the oldest first', async () => {
    const dir = await tempDir();
    // Room for about three points of this series (the series itself is held once).
    const store = await openStore({ dataDir: dir, recentPointsBytes: 500 });
    for (const i of [1, 2, 3, 4, 5]) await store.write(batch(line(i)));
    expect(store.recentPoints).toBeGreaterThan(0);
    expect(store.recentPoints).toBeLessThan(5);
    const remembered = store.recentPoints;
    // The newest are still known; the first has been forgotten, so a resend of it is stored.
    await store.write(batch(line(5) + line(4)));
    await store.write(batch(line(1)));
    expect(await storedText(dir)).toBe(line(1) + line(2) + line(3) + line(4) + line(5) + line(1));
    expect(store.recentPoints).toBe(remembered);
  });

  it('recognises a resend after a restart, from the end of the newest file', async () => {
    const dir = await tempDir();
    const first = await openStore({ dataDir: dir });
    await first.write(batch(line(1) + line(2)));
    // A second store on the same folder, as after a crash: the first is never closed first.
    const second = await openStore({ dataDir: dir });
    expect(second.recentPoints).toBe(2);
    await second.write(batch(line(1) + line(2) + line(3)));
    expect(await storedText(dir)).toBe(line(1) + line(2) + line(3));
  });

  it('after a SIGKILL mid-write, keeps every acknowledged line once, whole, and recognises their resend', async () => {
    const dir = await tempDir();
    // Node itself with tsx as a loader: one process, so the kill really stops the writer.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/store-writer.ts', dir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let acked = -1;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const all = [...out.matchAll(/acked (\d+)\n/g)];
        acked = Number(all.at(-1)?.[1] ?? -1);
        if (acked >= 200) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null
        ? resolve(null)
        : child.once('exit', resolve),
    );
    expect(child.signalCode).toBe('SIGKILL');
    const [name] = await readdir(dir);
    const store = await openStore({ dataDir: dir, clock: Date.now });
    const text = (await readFile(join(dir, name!), 'utf8')).slice(HEADER.length);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .split('\n')
      .slice(0, -1)
      .map((l) => `${l}\n`);
    // Every acknowledged line is there, once and whole; more may have been written (not yet
    // acknowledged, or acknowledged after the last answer read here) before the kill.
    expect(lines.length).toBeGreaterThanOrEqual(acked + 1);
    for (const [i, l] of lines.entries()) expect(l).toBe(crashLine(i));
    expect(store.recentPoints).toBe(lines.length);
    // The client never heard about the last ones: it sends them again, and they are kept once.
    await store.write(batch(lines.slice(-50).join('') + crashLine(lines.length)));
    expect(await samples(store)).toHaveLength(lines.length + 1);
  });
});

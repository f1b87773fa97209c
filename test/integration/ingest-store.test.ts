import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  EmbeddedStore,
  type EmbeddedStoreOptions,
  storeFileName,
} from '../../src/ingest/sinks/embedded-store.js';
import { SinkUnavailableError } from '../../src/ingest/sinks/sink.js';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  uniqueName,
} from '../helpers/backend-clients.js';
import { push, startIngest, syncLine } from '../helpers/ingest-server.js';

const DAY = 86_400_000;
const NOON = Date.parse('2026-03-10T12:00:00Z');
const HEADER = '# DML\n# CONTEXT-DATABASE: netbird\n';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netbird-store-test-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(
  options: Partial<EmbeddedStoreOptions> & { dataDir: string },
): Promise<EmbeddedStore> {
  const store = await EmbeddedStore.open({
    retentionDays: 30,
    retentionBytes: 1024 * 1024,
    ...options,
  });
  cleanup.push(() => store.close());
  return store;
}

function batch(text: string) {
  const piece = Buffer.from(text);
  return { pieces: [piece], byteLength: piece.length, lines: text.split('\n').length - 1 };
}

const line = (i: number) => `${syncLine(1_773_144_000_000_000_000n + BigInt(i), String(i))}\n`;

describe('EmbeddedStore', () => {
  it('appends to the day file, with the import header, and resolves only once the data is in it', async () => {
    const dir = await tempDir();
    const store = await openStore({ dataDir: dir, clock: () => NOON });
    await store.write(batch(line(1) + line(2)));
    const path = join(dir, storeFileName('2026-03-10'));
    expect(await readFile(path, 'utf8')).toBe(HEADER + line(1) + line(2));
    await store.write(batch(line(3)));
    expect(await readFile(path, 'utf8')).toBe(HEADER + line(1) + line(2) + line(3));
    expect(store.totalBytes).toBe(Buffer.byteLength(HEADER + line(1) + line(2) + line(3)));
  });

  it('keeps each batch of concurrent writes whole', async () => {
    const dir = await tempDir();
    const store = await openStore({ dataDir: dir, clock: () => NOON });
    const batches = Array.from({ length: 40 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => line(b * 100 + i)).join(''),
    );
    await Promise.all(batches.map((text) => store.write(batch(text))));
    const text = (await readFile(join(dir, storeFileName('2026-03-10')), 'utf8')).slice(
      HEADER.length,
    );
    expect(text.length).toBe(batches.join('').length);
    for (const b of batches) expect(text).toContain(b);
  });

  it('starts a new file each UTC day and drops days past the retention', async () => {
    const dir = await tempDir();
    let now = NOON;
    const store = await openStore({ dataDir: dir, retentionDays: 2, clock: () => now });
    for (let d = 0; d < 5; d++) {
      await store.write(batch(line(d)));
      now += DAY;
    }
    // Written on days 10..14; on day 14, days before the 12th are gone.
    expect((await store.files()).map((f) => f.day)).toEqual([
      '2026-03-12',
      '2026-03-13',
      '2026-03-14',
    ]);
    expect((await readdir(dir)).sort()).toEqual([
      'metrics-2026-03-12.lp',
      'metrics-2026-03-13.lp',
      'metrics-2026-03-14.lp',
    ]);
    await store.close();
    // Retention also applies when a store opens after a while.
    const later = await openStore({ dataDir: dir, retentionDays: 0, clock: () => NOON + 10 * DAY });
    expect(await later.files()).toEqual([]);
  });

  it('deletes the oldest days to stay within the byte bound, and refuses what cannot fit', async () => {
    const dir = await tempDir();
    let now = NOON;
    const perDay = HEADER.length + line(0).length * 2;
    const store = await openStore({
      dataDir: dir,
      retentionBytes: perDay * 2 + 10,
      clock: () => now,
    });
    for (let d = 0; d < 4; d++) {
      await store.write(batch(line(d) + line(d + 10)));
      now += DAY;
    }
    now -= DAY;
    expect((await store.files()).map((f) => f.day)).toEqual(['2026-03-12', '2026-03-13']);
    expect(store.totalBytes).toBeLessThanOrEqual(perDay * 2 + 10);
    // Ten distinct points: the same line ten times would be one point, stored once.
    const tooBig = batch(Array.from({ length: 10 }, (_, i) => line(99 + i)).join(''));
    await expect(store.write(tooBig)).rejects.toThrow(SinkUnavailableError);
    await expect(store.write(tooBig)).rejects.toThrow(/embedded store is full/);
    // What was there stays, and a write that fits still works.
    await store.write(batch(line(50)));
    expect(await readFile(join(dir, storeFileName('2026-03-13')), 'utf8')).toBe(
      HEADER + line(3) + line(13) + line(50),
    );
  });

  it('cuts off a half-written last line when it opens', async () => {
    const dir = await tempDir();
    const path = join(dir, storeFileName('2026-03-10'));
    await writeFile(path, `${HEADER}${line(1)}${line(2).slice(0, 30)}`);
    const store = await openStore({ dataDir: dir, clock: () => NOON });
    expect(await readFile(path, 'utf8')).toBe(HEADER + line(1));
    await store.write(batch(line(3)));
    expect(await readFile(path, 'utf8')).toBe(HEADER + line(1) + line(3));
  });

  it('reads samples back, filtered by time', async () => {
    const dir = await tempDir();
    const store = await openStore({ dataDir: dir, clock: () => NOON });
    await store.write(
      batch(
        line(0) +
          line(1) +
          line(2) +
          'netbird_sync,version=a\\ b duration_seconds=1 1773144000000000005\n',
      ),
    );
    const all = [];
    for await (const s of store.readSamples()) all.push(s);
    expect(all.map((s) => s.fields.duration_seconds)).toEqual([0, 1, 2, 1]);
    expect(all[3]!.tags).toEqual({ version: 'a b' });
    expect(all[0]).toEqual({
      measurement: 'netbird_sync',
      tags: {
        deployment_type: 'selfhosted',
        version: '0.61.2',
        os: 'linux',
        arch: 'amd64',
        peer_id: '0123456789abcdef',
      },
      fields: { duration_seconds: 0 },
      timestampNs: 1_773_144_000_000_000_000n,
    });
    // 1773144000000 ms is the first sample's time; `to` is exclusive.
    const some = [];
    for await (const s of store.readSamples({
      from: 1_773_144_000_000,
      to: new Date(1_773_144_000_001),
    }))
      some.push(s);
    expect(some).toHaveLength(4);
    const none = [];
    for await (const s of store.readSamples({ from: 1_773_144_000_001 })) none.push(s);
    expect(none).toHaveLength(0);
  });

  it('answers 503 through the server when the store is full', async () => {
    const ingest = await startIngest({ retentionBytes: 400 });
    cleanup.push(() => ingest.stop());
    expect((await push(ingest.url, line(1))).status).toBe(204);
    const r = await push(ingest.url, [2, 3, 4, 5, 6].map(line).join(''));
    expect(r.status).toBe(503);
    expect(r.body).toContain('embedded store is full');
    expect(r.headers['retry-after']).toBe('30');
  });
});

describe('EmbeddedStore files in a real InfluxDB 1.6', () => {
  const influx = inject('influxdbUrl');

  async function storeWithLines(database: string): Promise<{ path: string; text: string }> {
    const dir = await tempDir();
    const ingest = await startIngest({ dataDir: dir, storeDatabase: database });
    cleanup.push(() => ingest.stop());
    const body = [
      syncLine(1_773_144_000_000_000_001n, '5e-05'),
      'netbird_login,deployment_type=cloud,result=success,version=0.61.2,os=linux,arch=amd64,peer_id= duration_seconds=0.8 1773144000000000002',
      'netbird_sync_phase,version=a\\ b\\,c,phase=checks duration_seconds=1.234567e-06 1773144000000000003',
    ].join('\n');
    expect((await push(ingest.url, body)).status).toBe(204);
    const [file] = await (ingest.server.sink as EmbeddedStore).files();
    return { path: file!.path, text: await readFile(file!.path, 'utf8') };
  }

  async function expectStored(db: string): Promise<void> {
    const [sync] = await influxQuery(
      influx,
      db,
      'SELECT duration_seconds, peer_id FROM netbird_sync',
    );
    expect(influxRows(sync!)).toEqual([
      { time: 1_773_144_000_000_000_001n, duration_seconds: 5e-5, peer_id: '0123456789abcdef' },
    ]);
    const [login] = await influxQuery(influx, db, 'SELECT * FROM netbird_login');
    expect(influxRows(login!)).toEqual([
      {
        time: 1_773_144_000_000_000_002n,
        arch: 'amd64',
        deployment_type: 'cloud',
        duration_seconds: 0.8,
        os: 'linux',
        result: 'success',
        version: '0.61.2',
      },
    ]);
    const [phase] = await influxQuery(
      influx,
      db,
      'SELECT duration_seconds, phase, version FROM netbird_sync_phase',
    );
    expect(influxRows(phase!)).toEqual([
      {
        time: 1_773_144_000_000_000_003n,
        duration_seconds: 1.234567e-6,
        phase: 'checks',
        version: 'a b,c',
      },
    ]);
  }

  it('a day file POSTed unchanged to /write is stored and reads back exactly', async () => {
    const db = uniqueName('store_post');
    await influxCreateDatabase(influx, db);
    const { text } = await storeWithLines(db);
    const res = await fetch(`${influx}/write?db=${db}&precision=n`, { method: 'POST', body: text });
    expect(res.status).toBe(204);
    await expectStored(db);
  });

  it('a day file imported unchanged with `influx -import` is stored and reads back exactly', async () => {
    const db = uniqueName('store_import');
    await influxCreateDatabase(influx, db);
    const { path } = await storeWithLines(db);
    const { hostname, port } = new URL(influx);
    const { stdout, stderr } = await promisify(execFile)(
      'influx',
      ['-host', hostname, '-port', port, '-import', `-path=${path}`, '-precision=ns'],
      { timeout: 20_000 },
    );
    expect(`${stdout}${stderr}`).toContain('Processed 3 inserts');
    expect(`${stdout}${stderr}`).toContain('Failed 0 inserts');
    await expectStored(db);
  });
});

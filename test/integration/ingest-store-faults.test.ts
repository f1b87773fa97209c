// The embedded store under file-system faults, through a real ingest: a write it cannot make is a
// 503 with Retry-After (never a dropped connection or a crashed process), /health says the store
// cannot write while that lasts, and the store recovers once the fault is gone. The faults are
// real ones a root process cannot override: a directory where the store expects a file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedStore, storeFileName } from '../../src/ingest/sinks/embedded-store.js';
import { push, send, startIngest, syncLine } from '../helpers/ingest-server.js';

const DAY = 86_400_000;
const NOON = Date.parse('2026-03-10T12:00:00Z');
const HEADER = '# DML\n# CONTEXT-DATABASE: netbird\n';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

const line = (i: number) => `${syncLine(1_773_144_000_000_000_000n + BigInt(i), String(i))}\n`;

/** An ingest over an embedded store whose clock the test moves. */
async function ingestOverStore(retentionBytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'netbird-store-fault-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const clock = { now: NOON };
  const store = await EmbeddedStore.open({
    dataDir: dir,
    retentionDays: 30,
    retentionBytes,
    clock: () => clock.now,
  });
  const ingest = await startIngest({ sink: store });
  cleanup.push(() => ingest.stop());
  return { dir, store, ingest, clock };
}

/** Puts a non-empty directory where the store's file for `day` is: it cannot be removed or opened. */
async function directoryInPlaceOf(dir: string, day: string): Promise<string> {
  const path = join(dir, storeFileName(day));
  await rm(path, { force: true });
  await mkdir(path);
  await writeFile(join(path, 'keep'), 'x');
  return path;
}

async function health(url: string) {
  return send(url, { method: 'GET', path: '/health' });
}

describe('embedded store faults', () => {
  it('answers 503 while the oldest day file cannot be deleted at the retention bound, and /health says so', async () => {
    const perDay = HEADER.length + line(0).length;
    const { dir, store, ingest, clock } = await ingestOverStore(perDay * 2 + 10);
    expect((await push(ingest.url, line(1))).status).toBe(204);
    clock.now += DAY;
    expect((await push(ingest.url, line(2))).status).toBe(204);
    const blocked = await directoryInPlaceOf(dir, '2026-03-10');

    // Full: room is needed, and the oldest file will not go. Every later write says the same.
    for (const i of [3, 4, 5]) {
      const r = await push(ingest.url, line(i));
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('30');
      expect(r.body).toMatch(/embedded store/);
    }
    const sick = await health(ingest.url);
    expect(sick.status).toBe(503);
    expect(sick.body).toMatch(/cannot delete .*metrics-2026-03-10\.lp/);
    expect(store.writeProblem).toMatch(/cannot delete/);

    // Once the operator removes the obstacle, writes and /health recover.
    await rm(blocked, { recursive: true });
    expect((await push(ingest.url, line(6))).status).toBe(204);
    expect(await health(ingest.url)).toMatchObject({ status: 200, body: 'ok' });
    expect(store.writeProblem).toBeUndefined();
  });

  it("answers 503 while the day's file cannot be opened, and recovers", async () => {
    const { dir, store, ingest, clock } = await ingestOverStore(1024 * 1024);
    expect((await push(ingest.url, line(1))).status).toBe(204);
    clock.now += DAY;
    const blocked = await directoryInPlaceOf(dir, '2026-03-11');
    for (const i of [2, 3]) {
      const r = await push(ingest.url, line(i));
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('30');
      expect(r.body).toMatch(/cannot open the store file/);
    }
    expect((await health(ingest.url)).status).toBe(503);
    await rm(blocked, { recursive: true });
    expect((await push(ingest.url, line(4))).status).toBe(204);
    expect((await health(ingest.url)).status).toBe(200);
    const days = (await store.files()).map((f) => f.day);
    expect(days).toEqual(['2026-03-10', '2026-03-11']);
  });

  it('opens a data folder that holds a directory named like a day file, leaving it alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netbird-store-fault-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await directoryInPlaceOf(dir, '2026-03-01');
    const store = await EmbeddedStore.open({
      dataDir: dir,
      retentionDays: 30,
      retentionBytes: 1024 * 1024,
      clock: () => NOON,
    });
    cleanup.push(() => store.close());
    await store.write({ pieces: [Buffer.from(line(1))], byteLength: line(1).length, lines: 1 });
    expect((await store.files()).map((f) => f.day)).toEqual(['2026-03-10']);
    expect(store.writeProblem).toBeUndefined();
  });
});

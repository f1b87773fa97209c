// A dashboard scan of the embedded store stops when its request goes away, even while every line
// it reads is outside the range (so none is handed back to notice the abort with).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { samplesSource } from '../../src/ingest/dashboard/source.js';
import { EmbeddedStore, storeFileName } from '../../src/ingest/sinks/embedded-store.js';

const DAY = '2026-01-02';
const T_DAY = Date.parse(`${DAY}T12:00:00Z`);
const LINES = 60_000;

let dir: string;
let store: EmbeddedStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-abort-'));
  // Samples from an hour before noon; the dashboard below asks for the hour after.
  const early = BigInt(T_DAY - 3_600_000) * 1_000_000n;
  let text = '';
  for (let i = 0; i < LINES; i++) {
    text += `netbird_login,result=r${i} duration_seconds=1 ${early + BigInt(i)}\n`;
  }
  await writeFile(join(dir, storeFileName(DAY)), text);
  store = await EmbeddedStore.open({
    dataDir: dir,
    retentionDays: 3650,
    retentionBytes: 2 ** 30,
    clock: () => T_DAY,
  });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const later = { from: T_DAY, to: T_DAY + 3_600_000 };

async function drain(samples: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of samples) n++;
  return n;
}

describe('embedded store reads for the dashboard', () => {
  it('reads every line when not aborted (the scan below is a real one)', async () => {
    expect(await drain(store.readSamples(later))).toBe(0);
    expect(await drain(store.readSamples({ from: T_DAY - 3_600_000, to: T_DAY }))).toBe(LINES);
  });

  it('refuses to start a scan for a request already gone', async () => {
    const signal = AbortSignal.abort(new Error('client gone'));
    await expect(drain(store.readSamples({ ...later, signal }))).rejects.toThrow('client gone');
  });

  it('stops a scan in the middle when the request goes away, though nothing was yielded', async () => {
    const controller = new AbortController();
    const scan = drain(store.readSamples({ ...later, signal: controller.signal }));
    // The file is read in chunks, with turns of the event loop between them: abort after one.
    setImmediate(() => controller.abort(new Error('client gone')));
    await expect(scan).rejects.toThrow('client gone');
  });

  it('gives the event loop turns during a scan of a synchronous reader, and stops there', async () => {
    let read = 0;
    function* samples() {
      for (let i = 0; i < 2_000_000; i++) {
        read++;
        yield {
          measurement: 'netbird_sync',
          tags: {},
          fields: { duration_seconds: 1 },
          timestampNs: BigInt(T_DAY + (i % 1000)) * 1_000_000n,
        };
      }
    }
    const controller = new AbortController();
    const load = samplesSource('memory', () => samples()).load(later, undefined, controller.signal);
    // Only a turn of the event loop lets this run (and a push be answered) before the end.
    setImmediate(() => controller.abort(new Error('client gone')));
    await expect(load).rejects.toThrow('client gone');
    expect(read).toBeLessThan(2_000_000);
  });

  it('passes the abort through a samples source over the store', async () => {
    const source = samplesSource('store', (range, signal) =>
      store.readSamples({ from: range.from, to: range.to + 1, signal }),
    );
    const controller = new AbortController();
    const load = source.load(later, undefined, controller.signal);
    setImmediate(() => controller.abort(new Error('client gone')));
    await expect(load).rejects.toThrow('client gone');
  });
});

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push, send, startIngest, syncLine, type TestIngest } from '../helpers/ingest-server.js';

// A gzip bomb: gzip members may be concatenated, so one small member of valid line protocol
// repeated expands to more than 1 GiB while the request stays a few MB. Built in a blink.
const MiB = 1024 * 1024;
const BLOCK = Buffer.from(`${syncLine()}\n`.repeat(Math.ceil((8 * MiB) / (syncLine().length + 1))));
const MEMBER = gzipSync(BLOCK, { level: 9 });
const COPIES = Math.ceil((1.05 * 1024 * MiB) / BLOCK.length);
const BOMB = Buffer.concat(Array.from({ length: COPIES }, () => MEMBER));

let ingest: TestIngest;
beforeAll(async () => {
  ingest = await startIngest(); // default caps: 50 MiB raw, 50 MiB decoded
});
afterAll(async () => {
  await ingest.stop();
});

async function decodedBytes(): Promise<number> {
  const metrics = (await send(ingest.url, { method: 'GET', path: '/metrics' })).body;
  return Number(/netbird_ingest_body_bytes_total\{stage="decoded"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

describe('gzip bomb', () => {
  it('is over 1 GiB expanded and a few megabytes on the wire', () => {
    expect(COPIES * BLOCK.length).toBeGreaterThan(1024 * MiB);
    expect(BOMB.length).toBeLessThan(8 * MiB);
  });

  it('gets 413 after at most the decoded cap of work, with memory bounded', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const r = await push(ingest.url, BOMB, { 'content-encoding': 'gzip' });
      expect(r).toMatchObject({ status: 413, body: 'body too large\n' });
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // Decompression stopped at the cap (plus at most one 64 KiB output chunk), not at 1 GiB.
    const decoded = await decodedBytes();
    expect(decoded).toBeGreaterThan(50 * MiB);
    expect(decoded).toBeLessThanOrEqual(50 * MiB + 64 * 1024);
    expect(peak - before).toBeLessThan(200 * MiB);
    expect(await send(ingest.url, { method: 'GET', path: '/health' })).toMatchObject({
      status: 200,
    });
  });

  it('a bomb of zeros is refused at its first line, after a few kilobytes', async () => {
    const member = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
    const zeros = Buffer.concat(Array.from({ length: 64 }, () => member));
    const seen = await decodedBytes();
    const r = await push(ingest.url, zeros, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^line 1: line too long/);
    expect((await decodedBytes()) - seen).toBeLessThan(MiB);
  });
});

import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { combine } from '../../src/ingest/sinks/group-commit.js';
import type { LineBatch } from '../../src/ingest/sinks/sink.js';
import { encodeWire, planWire } from '../../src/ingest/sinks/wire-encoding.js';

function push(text: string, gzip: boolean): LineBatch {
  const piece = Buffer.from(text);
  return {
    pieces: [piece],
    byteLength: piece.length,
    lines: text.split('\n').length - 1,
    ...(gzip && { gzip: gzipSync(piece) }),
  };
}

const lines = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => `m,p=${tag} v=${i} ${i}\n`).join('');

const ON = { gzip: true, gzipMinBytes: 1000 };

async function sent(batch: LineBatch, policy = ON) {
  const plan = planWire(batch, policy);
  const body = await encodeWire(plan);
  const bytes = Buffer.concat(body.pieces as Buffer[]);
  expect(body.length).toBe(bytes.length);
  return { plan, gzip: body.gzip, text: (body.gzip ? gunzipSync(bytes) : bytes).toString() };
}

describe('upstream encoding per write', () => {
  it('gzip turned off: always plain, the client gzip unused', async () => {
    const big = push(lines('a', 100), true);
    expect(await sent(big, { gzip: false, gzipMinBytes: 1000 })).toMatchObject({
      gzip: false,
      text: lines('a', 100),
    });
  });

  it('below the threshold a write goes plain even when the push brought its gzip', async () => {
    const small = push(lines('a', 3), true);
    expect(small.byteLength).toBeLessThan(ON.gzipMinBytes);
    expect(await sent(small)).toMatchObject({ gzip: false, text: lines('a', 3) });
  });

  it('from the threshold on, a push with its own gzip passes it on byte for byte', async () => {
    for (const n of [100, 1000]) {
      const p = push(lines('a', n), true);
      expect(p.byteLength).toBeGreaterThanOrEqual(ON.gzipMinBytes);
      const plan = planWire(p, ON);
      expect(plan).toEqual({ kind: 'gzip', members: [{ kind: 'zipped', bytes: p.gzip }] });
      expect((await encodeWire(plan)).pieces).toEqual([p.gzip]);
    }
  });

  it('a threshold of 0 sends even a one-line push as its gzip', async () => {
    const p = push(lines('a', 1), true);
    expect(planWire(p, { gzip: true, gzipMinBytes: 0 })).toEqual({
      kind: 'gzip',
      members: [{ kind: 'zipped', bytes: p.gzip }],
    });
  });

  it('a changed push goes plain below the threshold and is compressed from it on', async () => {
    const small = push(lines('a', 3), false);
    expect(small.byteLength).toBeLessThan(ON.gzipMinBytes);
    expect(await sent(small)).toMatchObject({ gzip: false, text: lines('a', 3) });
    const large = push(lines('a', 100), false);
    expect(large.byteLength).toBeGreaterThanOrEqual(ON.gzipMinBytes);
    expect(await sent(large)).toMatchObject({ gzip: true, text: lines('a', 100) });
  });

  it('a large combined write of pushes that all brought gzip is their members one after another', async () => {
    const parts = [push(lines('a', 50), true), push(lines('b', 50), true)];
    const batch = combine(parts.map((batch) => ({ batch })));
    expect(batch.byteLength).toBeGreaterThanOrEqual(ON.gzipMinBytes);
    const result = await sent(batch);
    expect(result.plan).toEqual({
      kind: 'gzip',
      members: parts.map((p) => ({ kind: 'zipped', bytes: p.gzip })),
    });
    expect(result.text).toBe(lines('a', 50) + lines('b', 50));
  });

  it('a small combined write of pushes that all brought gzip goes plain', async () => {
    const parts = [push(lines('a', 2), true), push(lines('b', 2), true)];
    const result = await sent(combine(parts.map((batch) => ({ batch }))));
    expect(result).toMatchObject({ gzip: false, text: lines('a', 2) + lines('b', 2) });
  });

  it('a small combined write with a changed push goes plain', async () => {
    const parts = [push(lines('a', 2), true), push(lines('b', 2), false)];
    const result = await sent(combine(parts.map((batch) => ({ batch }))));
    expect(result).toMatchObject({ gzip: false, text: lines('a', 2) + lines('b', 2) });
  });

  it('a large mixed write reuses the clients’ members and compresses only the rest, in order', async () => {
    const parts = [
      push(lines('a', 20), false),
      push(lines('b', 20), false),
      push(lines('c', 20), true),
      push(lines('d', 20), false),
    ];
    const result = await sent(combine(parts.map((batch) => ({ batch }))));
    expect(result.plan.kind).toBe('gzip');
    const members = result.plan.kind === 'gzip' ? result.plan.members : [];
    expect(members.map((m) => m.kind)).toEqual(['compress', 'zipped', 'compress']);
    expect(members[1]).toEqual({ kind: 'zipped', bytes: parts[2]?.gzip });
    expect(result.text).toBe(lines('a', 20) + lines('b', 20) + lines('c', 20) + lines('d', 20));
  });
});

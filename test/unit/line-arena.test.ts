import { describe, expect, it } from 'vitest';
import { LineArena } from '../../src/exporters/send/line-arena.js';

const line = (i: number) => `netbird_sync,peer_id=${i.toString(16).padStart(16, '0')} v=${i} ${i}`;

describe('LineArena', () => {
  it('keeps lines, stamps and sequence numbers in order across chunks and ring growth', () => {
    const arena = new LineArena(10_000);
    for (let i = 0; i < 5000; i++) arena.push(line(i), BigInt(i) * 7n, i * 2);
    arena.dropFront(1234);
    for (let i = 5000; i < 9000; i++) arena.push(line(i), BigInt(i) * 7n, i * 2);
    expect(arena.size).toBe(9000 - 1234);
    for (const i of [0, 1, 4000, arena.size - 1]) {
      const n = i + 1234;
      expect(arena.lineAt(i)).toBe(line(n));
      expect(arena.stampAt(i)).toBe(BigInt(n) * 7n);
      expect(arena.seqAt(i)).toBe(n * 2);
    }
    expect(arena.text(0, 2)).toBe(`${line(1234)}\n${line(1235)}\n`);
  });

  it('carries any UTF-8 text byte for byte', () => {
    const arena = new LineArena(4);
    arena.push('m,os=Mac\u00a0OS\u2009x v=1 1', 1n, 0);
    arena.push('m,t=\u{1f600} v=2 2', 2n, 1);
    expect(arena.text(0, 2)).toBe('m,os=Mac\u00a0OS\u2009x v=1 1\nm,t=\u{1f600} v=2 2\n');
    expect(arena.byteLengthAt(1)).toBe(Buffer.byteLength('m,t=\u{1f600} v=2 2'));
  });

  it('a full store of 20 480 lines of 250 bytes holds about their bytes, and gives chunks back', () => {
    const arena = new LineArena(20_480);
    const text = 'x'.repeat(250);
    for (let i = 0; i < 20_480; i++) arena.push(text, BigInt(i), i);
    expect(arena.byteLength).toBe(20_480 * 250);
    // Lines plus 32 bytes of bookkeeping each, and at most one partly used chunk at each end.
    expect(arena.reservedBytes).toBeLessThanOrEqual(20_480 * (250 + 32) + 2 * 64 * 1024);
    arena.dropFront(20_000);
    expect(arena.reservedBytes).toBeLessThanOrEqual(480 * 250 + 20_480 * 32 + 2 * 64 * 1024);
    arena.dropFront(480);
    expect(arena.size).toBe(0);
    expect(arena.byteLength).toBe(0);
  });

  it('retains by index, in order', () => {
    const arena = new LineArena(8);
    for (let i = 0; i < 6; i++) arena.push(line(i), BigInt(i), i);
    expect(arena.retain((i) => i % 2 === 0)).toBe(3);
    expect(arena.text(0, arena.size)).toBe(`${line(0)}\n${line(2)}\n${line(4)}\n`);
    expect(arena.seqAt(2)).toBe(4);
  });

  it('refuses more than its bound', () => {
    const arena = new LineArena(2);
    arena.push('a', 1n, 0);
    arena.push('b', 2n, 1);
    expect(() => arena.push('c', 3n, 2)).toThrow(RangeError);
  });
});

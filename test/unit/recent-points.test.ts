import { describe, expect, it } from 'vitest';
import { batchPoints, pointOf } from '../../src/ingest/sinks/batch-points.js';
import { RecentPoints } from '../../src/ingest/sinks/recent-points.js';

describe('RecentPoints', () => {
  it('stays within its memory bound however many points come, forgetting the oldest first', () => {
    const points = new RecentPoints(10_000);
    const n = 20_000;
    let most = 0;
    for (let i = 0; i < n; i++) {
      points.add(`m,peer_id=${i % 7}`, String(1_000_000 + i));
      most = Math.max(most, points.bytes);
    }
    expect(most).toBeLessThanOrEqual(10_000);
    expect(points.size).toBeGreaterThan(50);
    const last = n - 1;
    expect(points.has(`m,peer_id=${last % 7}`, String(1_000_000 + last))).toBe(true);
    expect(points.has('m,peer_id=0', '1000000')).toBe(false);
  });

  it('counts a point once, and a series once however many of its points it holds', () => {
    const points = new RecentPoints(Number.POSITIVE_INFINITY);
    points.add('s', '1');
    const one = points.bytes;
    points.add('s', '1');
    expect(points.bytes).toBe(one);
    points.add('s', '2');
    expect(points.bytes - one).toBeLessThan(one);
    expect(points.size).toBe(2);
  });

  it('holds nothing with a bound of 0', () => {
    const points = new RecentPoints(0);
    points.add('s', '1');
    expect(points.size).toBe(0);
    expect(points.has('s', '1')).toBe(false);
  });
});

describe('batchPoints', () => {
  const b = (text: string) => Buffer.from(text);

  it('splits a line into its series (escaped spaces kept) and timestamp', () => {
    const line = b('m,version=a\\ b f=1 0017');
    expect(pointOf(line, 0, line.length)).toEqual({ series: 'm,version=a\\ b', stamp: '17' });
    const bare = b('m,version=a\\ b f=1');
    expect(pointOf(bare, 0, bare.length)).toEqual({ series: 'm,version=a\\ b', stamp: undefined });
    expect(pointOf(b('# comment'), 0, 9)).toBeUndefined();
  });

  it('leaves out points already seen and stamps lines without a time, across pieces', () => {
    const pieces = [b('m f=1 5\nm f=2'), b('\nm f=3\nm f=4 5\n')];
    let next = 100n;
    const out = batchPoints(
      { pieces, byteLength: pieces[0]!.length + pieces[1]!.length, lines: 4 },
      (series, stamp) => series === 'x' && stamp === '0',
      () => next++,
    );
    expect(Buffer.concat(out.buffers).toString()).toBe('m f=1 5\nm f=2 100\nm f=3 101\n');
    expect(out.bytes).toBe(Buffer.concat(out.buffers).length);
    expect(out.duplicates).toBe(1);
    expect(out.points).toEqual(['m', '5', 'm', '100', 'm', '101']);
  });
});

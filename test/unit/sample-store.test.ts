import { describe, expect, it } from 'vitest';
import { SampleStore } from '../../src/exporters/push/sample-store.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_SAMPLES, type Sample } from '../../src/index.js';
import { encodeLine } from '../../src/protocol/line-protocol/encode.js';

const T0 = 1_750_000_000_000;
const sync = (seconds: number, peer = 'p'): Sample => ({
  measurement: 'netbird_sync',
  tags: { deployment_type: 'selfhosted', peer_id: peer },
  fields: { duration_seconds: seconds },
});

function clock(start = T0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

describe('SampleStore', () => {
  it('exports nothing when new', () => {
    expect(new SampleStore().exportLineProtocol()).toBe('');
    expect(new SampleStore().takeBatch()).toBeUndefined();
  });

  it('stamps samples with nanoseconds at record time', () => {
    const c = clock(T0 + 0.25);
    const store = new SampleStore({ now: c.fn });
    const s = store.add(sync(1.5));
    expect(s.timestampNs).toBe(BigInt(T0) * 1_000_000n + 250_000n);
    expect(store.exportLineProtocol()).toBe(
      `netbird_sync,deployment_type=selfhosted,peer_id=p duration_seconds=1.5 ${s.timestampNs}\n`,
    );
  });

  it('stores each sample once: its fields, its stamp and its line, nothing else', () => {
    const store = new SampleStore({ now: clock().fn });
    const sample: Sample = { ...sync(0.25), timestampNs: 1n };
    const s = store.add(sample);
    expect(Object.keys(s).sort()).toEqual(
      ['fields', 'line', 'measurement', 'seq', 'tags', 'timestampNs'].sort(),
    );
    expect(s.timestampNs).toBe(BigInt(T0) * 1_000_000n);
    // The line is the sample's, stamped with the store's timestamp (not the one it came with).
    expect(s.line).toBe(encodeLine({ ...sample, timestampNs: s.timestampNs }));
    expect(sample.timestampNs).toBe(1n);
  });

  it('never gives two samples the same timestamp, even in one millisecond', () => {
    const store = new SampleStore({ now: () => T0, maxSamples: 100_000 });
    for (let i = 0; i < 10_000; i++) store.add(sync(i % 7));
    const stamps = store.samples().map((s) => s.timestampNs);
    expect(new Set(stamps).size).toBe(10_000);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
  });

  it('keeps timestamps increasing when the wall clock steps back', () => {
    const c = clock();
    const store = new SampleStore({ now: c.fn });
    const a = store.add(sync(1));
    c.now -= 60_000;
    const b = store.add(sync(1));
    expect(b.timestampNs > a.timestampNs).toBe(true);
  });

  it('export is non-destructive', () => {
    const store = new SampleStore({ now: clock().fn });
    store.add(sync(1));
    const first = store.exportLineProtocol();
    expect(store.exportLineProtocol()).toBe(first);
    expect(store.size).toBe(1);
  });

  it('is bounded by count at 20 480 by default, oldest dropped and counted', () => {
    expect(DEFAULT_MAX_SAMPLES).toBe(20_480);
    const c = clock();
    const store = new SampleStore({ now: c.fn });
    for (let i = 0; i < DEFAULT_MAX_SAMPLES + 100; i++) {
      c.now += 1;
      store.add(sync(i));
    }
    expect(store.size).toBe(DEFAULT_MAX_SAMPLES);
    expect(store.stats.droppedBySize).toBe(100);
    // The oldest 100 are gone: the first kept is the 101st recorded.
    expect(store.samples()[0]?.fields.duration_seconds).toBe(100);
  });

  it('drops samples older than 5 days when a new one arrives', () => {
    expect(DEFAULT_MAX_AGE_MS).toBe(5 * 86_400_000);
    const c = clock();
    const store = new SampleStore({ now: c.fn });
    store.add(sync(1));
    c.now += DEFAULT_MAX_AGE_MS - 1;
    store.add(sync(2));
    expect(store.size).toBe(2);
    c.now += 3_600_000 + 1; // the first is now 5 days + 1 h old
    store.add(sync(3));
    expect(store.samples().map((s) => s.fields.duration_seconds)).toEqual([2, 3]);
    expect(store.stats.droppedByAge).toBe(1);
  });

  it('acknowledges exactly the samples a batch sent; samples added meanwhile stay', () => {
    const c = clock();
    const store = new SampleStore({ now: c.fn });
    for (let i = 0; i < 5; i++) store.add(sync(i));
    const batch = store.takeBatch()!;
    expect(batch.samples).toHaveLength(5);
    // Recorded while the push is in flight.
    store.add(sync(5));
    store.add(sync(6));
    expect(store.acknowledge(batch)).toBe(5);
    expect(store.samples().map((s) => s.fields.duration_seconds)).toEqual([5, 6]);
    expect(store.stats.acknowledged).toBe(5);
  });

  it('acknowledging after trimming removes only what is left of the batch', () => {
    const c = clock();
    const store = new SampleStore({ now: c.fn, maxSamples: 4 });
    for (let i = 0; i < 4; i++) store.add(sync(i));
    const batch = store.takeBatch()!;
    store.add(sync(4));
    store.add(sync(5)); // trims 0 and 1 while the batch is in flight
    expect(store.acknowledge(batch)).toBe(2);
    expect(store.samples().map((s) => s.fields.duration_seconds)).toEqual([4, 5]);
  });

  it('bounds a batch by samples and bytes, oldest first, at least one sample', () => {
    const store = new SampleStore({ now: clock().fn });
    for (let i = 0; i < 10; i++) store.add(sync(i));
    const lineBytes = Buffer.byteLength(store.samples()[0]!.line) + 1;
    expect(store.takeBatch(3)!.samples.map((s) => s.fields.duration_seconds)).toEqual([0, 1, 2]);
    const byBytes = store.takeBatch(100, lineBytes * 4 + 1)!;
    expect(byBytes.samples).toHaveLength(4);
    expect(Buffer.byteLength(byBytes.body)).toBeLessThanOrEqual(lineBytes * 4 + 1);
    expect(store.takeBatch(100, 1)!.samples).toHaveLength(1);
    // Successive batches after acknowledging walk through the store without loss or repeats.
    const seen: number[] = [];
    for (let b = store.takeBatch(4); b !== undefined; b = store.takeBatch(4)) {
      seen.push(...b.samples.map((s) => s.fields.duration_seconds as number));
      store.acknowledge(b);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('discard removes the batch and counts it separately', () => {
    const store = new SampleStore({ now: clock().fn });
    store.add(sync(1));
    store.add(sync(2));
    store.discard(store.takeBatch(1)!);
    expect(store.stats.discarded).toBe(1);
    expect(store.size).toBe(1);
  });

  it('removes a batch not taken from the front by range', () => {
    const store = new SampleStore({ now: clock().fn });
    for (let i = 0; i < 4; i++) store.add(sync(i));
    const [, b, c] = store.samples();
    const batch = { samples: [b!, c!], body: '', count: 2, firstSeq: b!.seq, lastSeq: c!.seq };
    expect(store.acknowledge(batch)).toBe(2);
    expect(store.samples().map((s) => s.fields.duration_seconds)).toEqual([0, 3]);
  });

  it('stores nothing when a sample cannot be encoded', () => {
    const store = new SampleStore({ now: clock().fn });
    expect(() => store.add({ measurement: 'm', tags: {}, fields: {} })).toThrow();
    expect(store.size).toBe(0);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new SampleStore({ maxSamples: 0 })).toThrow(RangeError);
    expect(() => new SampleStore({ maxSamples: 1.5 })).toThrow(RangeError);
    expect(() => new SampleStore({ maxAgeMs: 0 })).toThrow(RangeError);
  });

  it('keeps memory bounded over a long run (compaction)', () => {
    const c = clock();
    const store = new SampleStore({ now: c.fn, maxSamples: 1000 });
    for (let i = 0; i < 50_000; i++) {
      c.now += 1;
      store.add(sync(1));
      if (i % 100 === 99) store.acknowledge(store.takeBatch(50)!);
    }
    expect(store.size).toBeLessThanOrEqual(1000);
    expect(store.samples()).toHaveLength(store.size);
  });
});

import { describe, expect, it } from 'vitest';
import { percentile, quantiles } from '../../src/ingest/dashboard/quantiles.js';

/** 1, 2, …, n. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('percentile', () => {
  // Expected values worked out by hand on the sorted arrays (rank = n·p/100 rounded, halves
  // up); InfluxDB 1.6 answers SELECT PERCENTILE(v, p) with these same values for these points.
  it.each([
    // [values (sorted), p, expected]
    [upTo(10), 25, 3], // 2.5 → rank 3
    [upTo(10), 50, 5], // 5 → rank 5 (the lower middle: no averaging of the two middles)
    [upTo(10), 95, 10], // 9.5 → rank 10
    [upTo(10), 10, 1], // 1 → rank 1
    [upTo(19), 50, 10], // 9.5 → rank 10
    [upTo(19), 95, 18], // 18.05 → rank 18 (rounded, not ceiled: ceil would give 19)
    [upTo(19), 99, 19], // 18.81 → rank 19
    [upTo(20), 95, 19], // 19 → rank 19
    [upTo(20), 99, 20], // 19.8 → rank 20
    [upTo(30), 25, 8], // 7.5 → rank 8
    [upTo(30), 95, 29], // 28.5 → rank 29
    [upTo(7), 50, 4], // 3.5 → rank 4
    [upTo(7), 25, 2], // 1.75 → rank 2
    [upTo(100), 1, 1],
    [upTo(100), 99, 99],
    [upTo(100), 100, 100],
  ])('%j p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('returns a sample, never a value between two', () => {
    const sorted = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // a stage that is mostly exactly 0
    expect(percentile(sorted, 50)).toBe(0);
    expect(percentile(sorted, 95)).toBe(1); // interpolation would say 0.55
    expect(percentile(sorted, 85)).toBe(0); // 8.5 → rank 9
  });

  it('no samples: no value', () => {
    for (const p of [0, 50, 95, 99, 100]) expect(percentile([], p)).toBeUndefined();
  });

  it('one sample: it is every percentile from rank 1 on, and none below', () => {
    for (const p of [50, 95, 99, 100]) expect(percentile([7], p)).toBe(7);
    // 1·25/100 + ½ < 1: rank 0, as InfluxQL returns no row.
    expect(percentile([7], 25)).toBeUndefined();
    expect(percentile([7], 0)).toBeUndefined();
  });

  it('two samples: p50 is the lower one, p95 and p99 the upper', () => {
    expect(percentile([1, 2], 25)).toBe(1); // 0.5 → rank 1
    expect(percentile([1, 2], 50)).toBe(1); // 1 → rank 1
    expect(percentile([1, 2], 95)).toBe(2);
    expect(percentile([1, 2], 99)).toBe(2);
    expect(percentile([1, 2], 10)).toBeUndefined(); // 0.2 → rank 0
  });

  it('ties: equal values are distinct ranks', () => {
    const sorted = [1, 1, 1, 5, 5, 9];
    expect(percentile(sorted, 25)).toBe(1); // 1.5 → rank 2
    expect(percentile(sorted, 50)).toBe(1); // 3 → rank 3
    expect(percentile(sorted, 60)).toBe(5); // 3.6 → rank 4
    expect(percentile(sorted, 95)).toBe(9);
    expect(percentile([4, 4, 4], 50)).toBe(4);
    expect(percentile([4, 4, 4], 99)).toBe(4);
  });

  it('p outside 0–100 has no value', () => {
    for (const p of [-1, 100.5, Number.NaN]) expect(percentile(upTo(10), p)).toBeUndefined();
  });
});

describe('quantiles', () => {
  it('sorts numerically, then takes count, p50, p95, p99 and max', () => {
    // 1 … 200 shuffled; as text, 100 would sort before 2 and the max would be 99.
    const values = upTo(200);
    const shuffled = values
      .filter((_, i) => i % 2 === 1)
      .concat(values.filter((_, i) => i % 2 === 0).reverse());
    expect(quantiles(shuffled)).toEqual({ count: 200, p50: 100, p95: 190, p99: 198, max: 200 });
  });

  it('0, 1 and 2 samples', () => {
    expect(quantiles([])).toEqual({
      count: 0,
      p50: undefined,
      p95: undefined,
      p99: undefined,
      max: undefined,
    });
    expect(quantiles([0.25])).toEqual({ count: 1, p50: 0.25, p95: 0.25, p99: 0.25, max: 0.25 });
    expect(quantiles([3, 0.5])).toEqual({ count: 2, p50: 0.5, p95: 3, p99: 3, max: 3 });
  });

  it('takes any iterable and leaves the input alone', () => {
    const input = [3, 1, 2];
    expect(quantiles(new Set(input)).p50).toBe(2);
    expect(input).toEqual([3, 1, 2]);
  });
});

// Exact sums per time bucket (counts, seconds) kept while a scan runs, for when the values
// themselves are no longer all kept. The bucket step is known only at the end (a range fitted to
// the data picks a finer step than the range loaded), so the sums are kept for every step the
// end could pick; each step needs only its last MAX_BUCKETS buckets before the range's end,
// because a step is picked only when the range it covers has at most that many.

import { BUCKET_STEPS_MS, MAX_BUCKETS, type TimeBuckets, timeBuckets } from './insights.js';
import type { TimeRange } from './panels.js';

export class StepTallies {
  readonly #steps: readonly number[];
  /** Per step, the global index (⌊t / step⌋) of its first kept bucket. */
  readonly #base: Float64Array;
  readonly #sums: Float64Array;

  /** Sums in `width` columns (duration bands, say) for ranges ending at `range.to`. */
  constructor(
    range: TimeRange,
    readonly width: number,
  ) {
    const loaded = timeBuckets(range).stepMs;
    // Largest first: see `add`.
    this.#steps = (BUCKET_STEPS_MS as readonly number[]).filter((s) => s <= loaded).reverse();
    this.#base = Float64Array.from(this.#steps, (s) =>
      Math.max(Math.floor(range.from / s), Math.floor(range.to / s) - (MAX_BUCKETS - 1)),
    );
    this.#sums = new Float64Array(this.#steps.length * MAX_BUCKETS * width);
  }

  add(t: number, column: number, amount = 1): void {
    for (let s = 0; s < this.#steps.length; s++) {
      const local = Math.floor(t / (this.#steps[s] as number)) - (this.#base[s] as number);
      // A time before the last buckets of one step is before those of every finer step too
      // (each step is at least 1.5 times the next finer one), so most samples stop at the first
      // step or two.
      if (local < 0) return;
      if (local >= MAX_BUCKETS) continue;
      const at = (s * MAX_BUCKETS + local) * this.width + column;
      this.#sums[at] = (this.#sums[at] as number) + amount;
    }
  }

  /** Sums per bucket of `buckets`, one row of `width` columns each. */
  rows(buckets: TimeBuckets): number[][] {
    const s = this.#steps.indexOf(buckets.stepMs);
    const first = Math.floor(buckets.start / buckets.stepMs);
    return Array.from({ length: buckets.count }, (_, b) => {
      const local = first + b - (this.#base[s] ?? 0);
      if (s < 0 || local < 0 || local >= MAX_BUCKETS) return new Array<number>(this.width).fill(0);
      const at = (s * MAX_BUCKETS + local) * this.width;
      return Array.from(this.#sums.subarray(at, at + this.width));
    });
  }
}

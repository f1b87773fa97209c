// The durations behind one set of percentiles, kept as typed arrays (a time, a value and a group
// per sample, never an object per sample) so a scan over millions of samples stays cheap in time
// and memory. While within its capacity every value is kept; past it the series becomes a uniform
// reservoir, so its percentiles become estimates while its counts are kept elsewhere exactly.

import { SeededRandom } from './seeded-random.js';

const INITIAL_CAPACITY = 256;

/** Values with their times (epoch ms) and a small group id each (a label's index, or 0). */
export class ValueSeries {
  #times = new Float64Array(INITIAL_CAPACITY);
  #values = new Float64Array(INITIAL_CAPACITY);
  #groups = new Int32Array(INITIAL_CAPACITY);
  #length = 0;
  #seen = 0;
  #max = Number.NEGATIVE_INFINITY;
  #capacity = Number.POSITIVE_INFINITY;
  readonly #random = new SeededRandom();

  /** Values offered, kept or not. */
  get seen(): number {
    return this.#seen;
  }

  /** The largest value offered (kept or not); undefined when none was. */
  get max(): number | undefined {
    return this.#seen === 0 ? undefined : this.#max;
  }

  /** Values kept: all of them until the capacity is reached. */
  get length(): number {
    return this.#length;
  }

  /** Whether some offered values are not kept (the percentiles are estimates). */
  get sampled(): boolean {
    return this.#seen > this.#length;
  }

  get times(): Float64Array {
    return this.#times.subarray(0, this.#length);
  }

  get values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }

  get groups(): Int32Array {
    return this.#groups.subarray(0, this.#length);
  }

  add(t: number, v: number, group = 0): void {
    this.#seen++;
    if (v > this.#max) this.#max = v;
    if (this.#length < this.#capacity) {
      if (this.#length === this.#times.length) this.#grow();
      this.#set(this.#length++, t, v, group);
      return;
    }
    // Algorithm R: the value replaces a kept one with probability capacity / seen.
    const j = Math.floor(this.#random.next() * this.#seen);
    if (j < this.#length) this.#set(j, t, v, group);
  }

  /**
   * Keeps at most `capacity` values from now on. If more are held, a uniform choice of them
   * stays (a partial shuffle), so later values continue one uniform reservoir over all offered.
   */
  limit(capacity: number): void {
    const cap = Math.max(0, Math.floor(capacity));
    for (let i = 0; i < Math.min(cap, this.#length); i++) {
      const j = i + Math.floor(this.#random.next() * (this.#length - i));
      this.#swap(i, j);
    }
    this.#length = Math.min(this.#length, cap);
    this.#capacity = cap;
    // Give back what the arrays grew past the new capacity.
    if (this.#times.length > cap) {
      this.#times = this.#times.slice(0, cap);
      this.#values = this.#values.slice(0, cap);
      this.#groups = this.#groups.slice(0, cap);
    }
  }

  #set(i: number, t: number, v: number, group: number): void {
    this.#times[i] = t;
    this.#values[i] = v;
    this.#groups[i] = group;
  }

  #swap(i: number, j: number): void {
    const t = this.#times[i] as number;
    const v = this.#values[i] as number;
    const g = this.#groups[i] as number;
    this.#set(i, this.#times[j] as number, this.#values[j] as number, this.#groups[j] as number);
    this.#set(j, t, v, g);
  }

  #grow(): void {
    const size = Math.min(this.#times.length * 2, Math.max(this.#capacity, INITIAL_CAPACITY));
    const grow = <A extends Float64Array | Int32Array>(old: A, next: A): A => {
      next.set(old);
      return next;
    };
    this.#times = grow(this.#times, new Float64Array(size));
    this.#values = grow(this.#values, new Float64Array(size));
    this.#groups = grow(this.#groups, new Int32Array(size));
  }
}

// A fixed-seed generator for the dashboard's reservoirs: every point has the same chance to be
// kept, and the same data always keeps the same points, so a refresh does not reshuffle a plot.

/** xorshift32 from a fixed seed; `next()` is uniform in [0, 1). */
export class SeededRandom {
  #state = 0x9e3779b9;

  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 4294967296;
  }
}

/**
 * The points (series + timestamp) a store took most recently, so a body sent again after its
 * answer was lost is not stored twice: a database keeps one point per series and time, and the
 * embedded store has to agree with it. Bounded by an estimate of its memory; the oldest points
 * are forgotten first, so a resend long after the original may be stored again.
 *
 * A series is the line's text up to its first unescaped space (measurement and tags as written);
 * it is held once however many of its timestamps are remembered.
 */
export class RecentPoints {
  readonly #maxBytes: number;
  readonly #bySeries = new Map<string, Set<string>>();
  /** Insertion order, oldest first from `#head`: series and timestamp of each point. */
  #series: string[] = [];
  #stamps: string[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError('RecentPoints: maxBytes must be >= 0');
    this.#maxBytes = maxBytes;
  }

  /** Points remembered. */
  get size(): number {
    return this.#series.length - this.#head;
  }

  /** The memory estimate the bound applies to. */
  get bytes(): number {
    return this.#bytes;
  }

  has(series: string, stamp: string): boolean {
    return this.#bySeries.get(series)?.has(stamp) === true;
  }

  add(series: string, stamp: string): void {
    let stamps = this.#bySeries.get(series);
    if (stamps === undefined) {
      stamps = new Set();
      this.#bySeries.set(series, stamps);
      this.#bytes += seriesCost(series);
    } else if (stamps.has(stamp)) {
      return;
    }
    stamps.add(stamp);
    this.#series.push(series);
    this.#stamps.push(stamp);
    this.#bytes += pointCost(stamp);
    while (this.#bytes > this.#maxBytes && this.size > 0) this.#forgetOldest();
  }

  #forgetOldest(): void {
    const series = this.#series[this.#head]!;
    const stamp = this.#stamps[this.#head]!;
    this.#head++;
    const stamps = this.#bySeries.get(series)!;
    stamps.delete(stamp);
    this.#bytes -= pointCost(stamp);
    if (stamps.size === 0) {
      this.#bySeries.delete(series);
      this.#bytes -= seriesCost(series);
    }
    // Drop the forgotten front once it is most of the arrays.
    if (this.#head > 1024 && this.#head * 2 > this.#series.length) {
      this.#series = this.#series.slice(this.#head);
      this.#stamps = this.#stamps.slice(this.#head);
      this.#head = 0;
    }
  }
}

// Rough V8 costs: a one-byte string's characters plus its header, a Map or Set entry, the slots
// of the order arrays. Close enough for a bound meant to stop memory from growing without end.
function seriesCost(series: string): number {
  return series.length + 96;
}

function pointCost(stamp: string): number {
  return stamp.length + 64;
}

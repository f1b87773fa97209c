/**
 * An array used as a first-in, first-out queue: the front advances by an index instead of
 * shifting the array, and the array is compacted once more than half of it (and over 1024
 * entries) is gone. The InfluxDB metric exporter's retry buffer (line-queue.ts) uses it.
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The `i`-th oldest entry. */
  at(i: number): T | undefined {
    return this.#items[this.#head + i];
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes the `count` oldest entries. */
  dropFront(count: number): void {
    const end = this.#head + Math.min(count, this.size);
    // Cleared, so what left the queue is not kept alive until the next compaction.
    this.#items.fill(undefined as T, this.#head, end);
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Keeps the entries `keep` accepts, in order; returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const kept = this.toArray().filter(keep);
    const removed = this.size - kept.length;
    this.#items = kept;
    this.#head = 0;
    return removed;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    return this.#items.slice(this.#head);
  }

  /**
   * The oldest entries whose lines fit both bounds (at least one when any is queued), with
   * their newline-terminated body. Nothing is removed.
   */
  takeLines(
    lineOf: (item: T) => string,
    maxCount: number,
    maxBytes: number,
  ): { items: T[]; body: string } {
    const items: T[] = [];
    let body = '';
    let bytes = 0;
    for (let i = this.#head; i < this.#items.length && items.length < maxCount; i++) {
      const item = this.#items[i] as T;
      const line = lineOf(item);
      const lineBytes = Buffer.byteLength(line) + 1;
      if (items.length > 0 && bytes + lineBytes > maxBytes) break;
      items.push(item);
      body += `${line}\n`;
      bytes += lineBytes;
    }
    return { items, body };
  }
}

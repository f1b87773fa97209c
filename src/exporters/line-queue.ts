/**
 * A bounded FIFO of encoded lines waiting to be written (the InfluxDB metric exporter's retry
 * buffer). Over the bound the oldest lines are dropped and counted. A batch taken from the
 * front is removed by sequence number once answered, so lines added — or dropped — while a
 * request is in flight are handled exactly.
 */

export interface LineBatch {
  readonly body: string;
  readonly lines: number;
  readonly lastSeq: number;
}

export class LineQueue {
  readonly maxLines: number;
  #lines: string[] = [];
  #head = 0;
  /** Sequence number of `#lines[#head]`. */
  #headSeq = 0;
  #dropped = 0;

  constructor(maxLines: number) {
    if (!Number.isInteger(maxLines) || maxLines < 1) {
      throw new RangeError(`maxLines must be a positive integer, got ${maxLines}`);
    }
    this.maxLines = maxLines;
  }

  get size(): number {
    return this.#lines.length - this.#head;
  }

  /** Lines dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  push(lines: readonly string[]): void {
    for (const line of lines) this.#lines.push(line);
    const surplus = this.size - this.maxLines;
    if (surplus > 0) this.#advance(surplus, true);
  }

  /** The oldest lines, up to both bounds (at least one line when any is queued). */
  take(maxLines: number, maxBytes: number): LineBatch | undefined {
    if (this.size === 0) return undefined;
    let body = '';
    let bytes = 0;
    let n = 0;
    for (let i = this.#head; i < this.#lines.length && n < maxLines; i++) {
      const line = this.#lines[i] as string;
      const lineBytes = Buffer.byteLength(line) + 1;
      if (n > 0 && bytes + lineBytes > maxBytes) break;
      body += `${line}\n`;
      bytes += lineBytes;
      n++;
    }
    return { body, lines: n, lastSeq: this.#headSeq + n - 1 };
  }

  /** Removes the batch's lines that are still queued; returns how many. */
  remove(batch: LineBatch): number {
    const count = Math.min(batch.lastSeq - this.#headSeq + 1, this.size);
    if (count <= 0) return 0;
    this.#advance(count, false);
    return count;
  }

  /** Empties the queue; returns how many lines were in it. */
  clear(): number {
    const n = this.size;
    this.#advance(n, false);
    return n;
  }

  #advance(count: number, dropped: boolean): void {
    this.#head += count;
    this.#headSeq += count;
    if (dropped) this.#dropped += count;
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
  }
}

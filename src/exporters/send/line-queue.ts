import type { BatchQueue } from './batch-queue.js';
import { Fifo } from './fifo.js';

/** Lines taken from the front of a `LineQueue`, identified by the sequence number of the last. */
export interface TakenLines {
  readonly body: string;
  /** How many lines `body` holds. */
  readonly count: number;
  readonly lastSeq: number;
}

/**
 * A bounded FIFO of encoded lines waiting to be written (the InfluxDB metric exporter's retry
 * buffer). Over the bound the oldest lines are dropped and counted. A batch taken from the
 * front is removed by sequence number once answered, so lines added — or dropped — while a
 * request is in flight are handled exactly.
 */
export class LineQueue implements BatchQueue<TakenLines> {
  readonly maxLines: number;
  readonly #lines = new Fifo<string>();
  /** Sequence number of the oldest queued line. */
  #headSeq = 0;
  #dropped = 0;

  constructor(maxLines: number) {
    if (!Number.isInteger(maxLines) || maxLines < 1) {
      throw new RangeError(`maxLines must be a positive integer, got ${maxLines}`);
    }
    this.maxLines = maxLines;
  }

  get size(): number {
    return this.#lines.size;
  }

  /** Lines dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  push(lines: readonly string[]): void {
    for (const line of lines) this.#lines.push(line);
    const surplus = this.size - this.maxLines;
    if (surplus > 0) {
      this.#advance(surplus);
      this.#dropped += surplus;
    }
  }

  /** The oldest lines, up to both bounds (at least one line when any is queued). */
  takeBatch(maxLines: number, maxBytes: number): TakenLines | undefined {
    if (this.size === 0) return undefined;
    const { items, body } = this.#lines.takeLines((line) => line, maxLines, maxBytes);
    return { body, count: items.length, lastSeq: this.#headSeq + items.length - 1 };
  }

  acknowledge(batch: TakenLines): number {
    return this.#remove(batch);
  }

  discard(batch: TakenLines): number {
    return this.#remove(batch);
  }

  /** Empties the queue; returns how many lines were in it. */
  clear(): number {
    const n = this.size;
    this.#advance(n);
    return n;
  }

  /** Removes the batch's lines that are still queued; returns how many. */
  #remove(batch: TakenLines): number {
    const count = Math.min(batch.lastSeq - this.#headSeq + 1, this.size);
    if (count <= 0) return 0;
    this.#advance(count);
    return count;
  }

  #advance(count: number): void {
    this.#lines.dropFront(count);
    this.#headSeq += count;
  }
}

import { encodeLineAt } from '../../protocol/line-protocol/encode.js';
import type { Sample } from '../../protocol/schema.js';
import type { BatchQueue } from '../send/batch-queue.js';
import { Fifo } from '../send/fifo.js';

export const DEFAULT_MAX_SAMPLES = 20_480;
export const DEFAULT_MAX_AGE_MS = 5 * 24 * 60 * 60 * 1000;

export interface SampleStoreOptions {
  maxSamples?: number;
  maxAgeMs?: number;
  /** Wall clock in epoch milliseconds (fractions allowed); injectable for tests. */
  now?: () => number;
}

export interface StoredSample extends Sample {
  readonly timestampNs: bigint;
  /** Line protocol for this sample, rendered once when it is stored. */
  readonly line: string;
  readonly seq: number;
}

export interface SampleBatch {
  readonly samples: readonly StoredSample[];
  /** Newline-terminated line protocol of `samples`. */
  readonly body: string;
  /** `samples.length`. */
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface SampleStoreStats {
  added: number;
  droppedByAge: number;
  droppedBySize: number;
  acknowledged: number;
  discarded: number;
}

const NS_PER_MS = 1_000_000n;

/**
 * The bounded, timestamped buffer behind the NetBird push.
 *
 * - Bounded by count (default 20 480: 5 MiB at about 256 bytes a sample, as NetBird's Go
 *   client keeps) and age (5 days), oldest dropped first, drops counted.
 * - Every sample gets a nanosecond timestamp strictly greater than the previous one, so two
 *   samples of one series never share a timestamp (InfluxDB would keep only one).
 * - Push is take-batch / acknowledge: a batch is the oldest samples at take time, and
 *   acknowledging removes exactly those (by sequence number), so samples recorded while a
 *   push is in flight are kept.
 */
export class SampleStore implements BatchQueue<SampleBatch> {
  readonly maxSamples: number;
  readonly maxAgeMs: number;
  readonly #now: () => number;
  /** Oldest first. */
  readonly #items = new Fifo<StoredSample>();
  #nextSeq = 0;
  #lastNs = 0n;
  readonly #stats: SampleStoreStats = {
    added: 0,
    droppedByAge: 0,
    droppedBySize: 0,
    acknowledged: 0,
    discarded: 0,
  };

  constructor(options: SampleStoreOptions = {}) {
    this.maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!Number.isInteger(this.maxSamples) || this.maxSamples < 1) {
      throw new RangeError(`maxSamples must be a positive integer, got ${this.maxSamples}`);
    }
    if (!(this.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${this.maxAgeMs}`);
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#items.size;
  }

  get stats(): Readonly<SampleStoreStats> {
    return { ...this.#stats };
  }

  /**
   * Stamps and stores a sample the caller has already checked against the schema, then trims.
   * Throws (storing nothing) if the sample cannot be encoded.
   */
  add(sample: Sample): StoredSample {
    const now = this.#now();
    const ns = this.#uniqueNs(now);
    // One object per sample and a flat line (not a rope of its pieces): the store holds up to
    // 20 480 of them, and the garbage collector walks them all.
    const line = encodeLineAt(sample, ns);
    this.#lastNs = ns;
    const stored: StoredSample = {
      measurement: sample.measurement,
      tags: sample.tags,
      fields: sample.fields,
      timestampNs: ns,
      line,
      seq: this.#nextSeq++,
    };
    this.#items.push(stored);
    this.#stats.added++;
    this.#trim(now);
    return stored;
  }

  #uniqueNs(nowMs: number): bigint {
    const whole = Math.floor(nowMs);
    const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.floor((nowMs - whole) * 1e6));
    return ns > this.#lastNs ? ns : this.#lastNs + 1n;
  }

  #trim(nowMs: number): void {
    const cutoff = BigInt(Math.floor(nowMs - this.maxAgeMs)) * NS_PER_MS;
    // Timestamps only grow, so the old ones are all at the front.
    let old = 0;
    while (old < this.size && (this.#items.at(old) as StoredSample).timestampNs < cutoff) old++;
    this.#stats.droppedByAge += old;
    const surplus = Math.max(this.size - old - this.maxSamples, 0);
    this.#stats.droppedBySize += surplus;
    this.#items.dropFront(old + surplus);
  }

  /** The stored samples, oldest first (a copy). */
  samples(): StoredSample[] {
    return this.#items.toArray();
  }

  /** Line protocol of everything stored; does not remove anything (metrics.txt). */
  exportLineProtocol(): string {
    let out = '';
    for (let i = 0; i < this.size; i++) out += `${this.#items.at(i)?.line}\n`;
    return out;
  }

  /**
   * The oldest samples, up to `maxSamples` and `maxBytes` of line protocol (at least one
   * sample when any is stored). Nothing is removed until the batch is acknowledged.
   */
  takeBatch(
    maxSamples = Number.POSITIVE_INFINITY,
    maxBytes = Number.POSITIVE_INFINITY,
  ): SampleBatch | undefined {
    if (this.size === 0) return undefined;
    const { items: samples, body } = this.#items.takeLines((s) => s.line, maxSamples, maxBytes);
    const first = samples[0] as StoredSample;
    const last = samples[samples.length - 1] as StoredSample;
    return { samples, body, count: samples.length, firstSeq: first.seq, lastSeq: last.seq };
  }

  /** The push succeeded: remove exactly the batch's samples that are still stored. */
  acknowledge(batch: SampleBatch): number {
    const removed = this.#removeBatch(batch);
    this.#stats.acknowledged += removed;
    return removed;
  }

  /** The batch can never be accepted (a 4xx other than 408/429): remove it, counted. */
  discard(batch: SampleBatch): number {
    const removed = this.#removeBatch(batch);
    this.#stats.discarded += removed;
    return removed;
  }

  #removeBatch(batch: SampleBatch): number {
    const head = this.#items.at(0);
    if (head === undefined) return 0;
    if (head.seq < batch.firstSeq) {
      // Not taken from the front (never done by the pusher): remove by range, keep the rest.
      return this.#items.retain((s) => s.seq < batch.firstSeq || s.seq > batch.lastSeq);
    }
    // Taken from the front: everything up to `lastSeq` is the batch (or already trimmed).
    let removed = 0;
    while (removed < this.size && (this.#items.at(removed) as StoredSample).seq <= batch.lastSeq) {
      removed++;
    }
    this.#items.dropFront(removed);
    return removed;
  }

  clear(): void {
    this.#items.clear();
  }
}

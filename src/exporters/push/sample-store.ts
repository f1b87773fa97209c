import { encodeLineAt } from '../../protocol/line-protocol/encode.js';
import { parseLine } from '../../protocol/line-protocol/parse.js';
import type { Sample } from '../../protocol/schema.js';
import type { BatchQueue } from '../send/batch-queue.js';
import { LineArena } from '../send/line-arena.js';
import { SampleClock } from './sample-clock.js';

export const DEFAULT_MAX_SAMPLES = 20_480;
export const DEFAULT_MAX_AGE_MS = 5 * 24 * 60 * 60 * 1000;

export interface SampleStoreOptions {
  maxSamples?: number;
  maxAgeMs?: number;
  /** Wall clock in epoch milliseconds (fractions allowed); injectable for tests. */
  now?: () => number;
  /**
   * A clock that never jumps, in milliseconds (`performance.now` by default, or `now` when
   * only that is injected); stamps follow it between re-anchorings to the wall clock.
   */
  monotonic?: () => number;
}

export interface StoredSample extends Sample {
  readonly timestampNs: bigint;
  /** Line protocol for this sample, rendered once when it is stored. */
  readonly line: string;
  readonly seq: number;
}

export interface SampleBatch {
  /** The batch's samples as stored (read back from its lines when asked for). */
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

/**
 * The bounded, timestamped buffer behind the NetBird push.
 *
 * - Bounded by count (default 20 480: 5 MiB at about 256 bytes a sample, as NetBird's Go
 *   client keeps) and age (5 days), oldest dropped first, drops counted.
 * - Every sample gets a nanosecond timestamp from a {@link SampleClock}, strictly greater than
 *   the previous one, so two samples of one series never share a timestamp (InfluxDB would keep
 *   only one); age is measured on the same clock, so one wrong wall-clock reading drops nothing.
 * - Samples are kept only as their encoded lines, in one shared byte arena, so a full store
 *   costs about the bytes of its lines. `samples()` reads them back.
 * - Push is take-batch / acknowledge: a batch is the oldest samples at take time, and
 *   acknowledging removes exactly those (by sequence number), so samples recorded while a
 *   push is in flight are kept.
 */
export class SampleStore implements BatchQueue<SampleBatch> {
  readonly maxSamples: number;
  readonly maxAgeMs: number;
  readonly #clock: SampleClock;
  readonly #maxAgeNs: bigint | undefined;
  /** Oldest first. */
  readonly #lines: LineArena;
  #nextSeq = 0;
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
    this.#maxAgeNs = Number.isFinite(this.maxAgeMs)
      ? BigInt(Math.floor(this.maxAgeMs * 1e6))
      : undefined;
    this.#clock = new SampleClock({
      ...(options.now !== undefined ? { wall: options.now } : {}),
      ...(options.monotonic !== undefined ? { monotonic: options.monotonic } : {}),
    });
    this.#lines = new LineArena(this.maxSamples);
  }

  get size(): number {
    return this.#lines.size;
  }

  get stats(): Readonly<SampleStoreStats> {
    return { ...this.#stats };
  }

  /**
   * Stamps and stores a sample the caller has already checked against the schema, dropping
   * what is over the bounds. Throws (storing nothing) if the sample cannot be encoded.
   */
  add(sample: Sample): StoredSample {
    const ns = this.#clock.stamp();
    const line = encodeLineAt(sample, ns);
    this.#trim(ns);
    const seq = this.#nextSeq++;
    this.#lines.push(line, ns, seq);
    this.#stats.added++;
    return {
      measurement: sample.measurement,
      tags: sample.tags,
      fields: sample.fields,
      timestampNs: ns,
      line,
      seq,
    };
  }

  /** Drops what is too old at `nowNs`, then the oldest until one more sample fits. */
  #trim(nowNs: bigint): void {
    let old = 0;
    if (this.#maxAgeNs !== undefined) {
      const cutoff = nowNs - this.#maxAgeNs;
      // Timestamps only grow, so the old ones are all at the front.
      while (old < this.size && this.#lines.stampAt(old) < cutoff) old++;
    }
    this.#stats.droppedByAge += old;
    const surplus = Math.max(this.size - old + 1 - this.maxSamples, 0);
    this.#stats.droppedBySize += surplus;
    this.#lines.dropFront(old + surplus);
  }

  /** The stored samples, oldest first, as they will be sent (read back from their lines). */
  samples(): StoredSample[] {
    const out: StoredSample[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push(readBack(this.#lines.lineAt(i), this.#lines.seqAt(i)));
    }
    return out;
  }

  /** Line protocol of everything stored; does not remove anything (metrics.txt). */
  exportLineProtocol(): string {
    return this.#lines.text(0, this.size);
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
    const lines = this.#lines;
    let count = 0;
    let bytes = 0;
    while (count < this.size && count < maxSamples) {
      const lineBytes = lines.byteLengthAt(count) + 1;
      if (count > 0 && bytes + lineBytes > maxBytes) break;
      bytes += lineBytes;
      count++;
    }
    const seqs = new Float64Array(count);
    for (let i = 0; i < count; i++) seqs[i] = lines.seqAt(i);
    return new TakenBatch(lines.text(0, count), seqs);
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
    const lines = this.#lines;
    if (lines.size === 0) return 0;
    if (lines.seqAt(0) < batch.firstSeq) {
      // Not taken from the front (never done by the pusher): remove by range, keep the rest.
      return lines.retain((i) => lines.seqAt(i) < batch.firstSeq || lines.seqAt(i) > batch.lastSeq);
    }
    // Taken from the front: everything up to `lastSeq` is the batch (or already trimmed).
    let removed = 0;
    while (removed < lines.size && lines.seqAt(removed) <= batch.lastSeq) removed++;
    lines.dropFront(removed);
    return removed;
  }

  clear(): void {
    this.#lines.clear();
  }
}

/** A batch as taken: its body, and the sequence numbers of its lines to read samples back. */
class TakenBatch implements SampleBatch {
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  constructor(
    readonly body: string,
    readonly seqs: Float64Array,
  ) {
    this.count = seqs.length;
    this.firstSeq = seqs[0] as number;
    this.lastSeq = seqs[seqs.length - 1] as number;
  }

  get samples(): StoredSample[] {
    const lines = this.body.split('\n');
    return Array.from(this.seqs, (seq, i) => readBack(lines[i] as string, seq));
  }
}

function readBack(line: string, seq: number): StoredSample {
  const sample = parseLine(line);
  return { ...sample, timestampNs: sample.timestampNs ?? 0n, line, seq };
}

/** Bytes per chunk of line text: big enough that a chunk holds hundreds of lines. */
const CHUNK_BYTES = 64 * 1024;
const INITIAL_ENTRIES = 256;

/** What the ring's typed arrays have in common. */
interface Column<T> {
  subarray(begin: number, end?: number): T;
  set(source: T, offset?: number): void;
}

/**
 * A first-in, first-out queue of encoded lines kept as UTF-8 bytes in shared 64 KiB chunks,
 * with each line's timestamp and sequence number in typed arrays: no JavaScript string or
 * object per line, so a store of 20 480 samples costs about their bytes (≈ 5 MB) and the
 * garbage collector has almost nothing to walk. A chunk is released as soon as the front has
 * moved past all of its lines.
 */
export class LineArena {
  readonly #maxEntries: number;
  // Per entry, in a ring of `#capacity` slots starting at `#head`.
  #capacity = 0;
  #head = 0;
  #size = 0;
  #chunkNo = new Float64Array(0);
  #offset = new Uint32Array(0);
  #length = new Uint32Array(0);
  #stamp = new BigInt64Array(0);
  #seq = new Float64Array(0);
  /** Chunks still holding queued lines; `#chunks[0]` is chunk number `#firstChunkNo`. */
  #chunks: Buffer[] = [];
  #firstChunkNo = 0;
  /** Where the next line goes in the last chunk. */
  #tailOffset = 0;
  #bytes = 0;

  /** `maxEntries` caps the ring's growth; it never holds more. */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes of all queued lines, newlines not included. */
  get byteLength(): number {
    return this.#bytes;
  }

  push(line: string, stamp: bigint, seq: number): void {
    if (this.#size === this.#maxEntries) throw new RangeError('line arena is full');
    if (this.#size === this.#capacity) this.#grow();
    const length = Buffer.byteLength(line, 'utf8');
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || this.#tailOffset + length > chunk.length) {
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, length));
      this.#chunks.push(chunk);
      this.#tailOffset = 0;
    }
    chunk.write(line, this.#tailOffset, length, 'utf8');
    const slot = (this.#head + this.#size) % this.#capacity;
    this.#chunkNo[slot] = this.#firstChunkNo + this.#chunks.length - 1;
    this.#offset[slot] = this.#tailOffset;
    this.#length[slot] = length;
    this.#stamp[slot] = stamp;
    this.#seq[slot] = seq;
    this.#tailOffset += length;
    this.#bytes += length;
    this.#size++;
  }

  /** Memory held: the chunks still in use and the per-entry arrays. */
  get reservedBytes(): number {
    let chunks = 0;
    for (const chunk of this.#chunks) chunks += chunk.length;
    // chunk number, offset, length, timestamp, sequence number
    return chunks + this.#capacity * (8 + 4 + 4 + 8 + 8);
  }

  /** Timestamp of the `i`-th oldest line. */
  stampAt(i: number): bigint {
    return this.#stamp[this.#slot(i)] as bigint;
  }

  seqAt(i: number): number {
    return this.#seq[this.#slot(i)] as number;
  }

  /** UTF-8 bytes of the `i`-th oldest line, without its newline. */
  byteLengthAt(i: number): number {
    return this.#length[this.#slot(i)] as number;
  }

  lineAt(i: number): string {
    const slot = this.#slot(i);
    const chunk = this.#chunkOf(slot);
    const offset = this.#offset[slot] as number;
    return chunk.toString('utf8', offset, offset + (this.#length[slot] as number));
  }

  /** Lines `from` to `from + count - 1`, each followed by a newline, as one string. */
  text(from: number, count: number): string {
    let total = 0;
    for (let i = from; i < from + count; i++) total += this.byteLengthAt(i) + 1;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = from; i < from + count; i++) {
      const slot = this.#slot(i);
      const offset = this.#offset[slot] as number;
      at += this.#chunkOf(slot).copy(out, at, offset, offset + (this.#length[slot] as number));
      out[at++] = 0x0a;
    }
    return out.toString('utf8', 0, at);
  }

  /** Removes the `count` oldest lines, releasing the chunks nothing refers to any more. */
  dropFront(count: number): void {
    const n = Math.min(count, this.#size);
    for (let i = 0; i < n; i++) this.#bytes -= this.byteLengthAt(i);
    this.#head = this.#capacity === 0 ? 0 : (this.#head + n) % this.#capacity;
    this.#size -= n;
    if (this.#size === 0) {
      this.clear();
      return;
    }
    const firstUsed = this.#chunkNo[this.#head] as number;
    const unused = firstUsed - this.#firstChunkNo;
    if (unused > 0) {
      this.#chunks.splice(0, unused);
      this.#firstChunkNo = firstUsed;
    }
  }

  /** Keeps the lines `keep(i)` accepts (by index, oldest 0), in order; returns how many went. */
  retain(keep: (i: number) => boolean): number {
    const kept: { line: string; stamp: bigint; seq: number }[] = [];
    for (let i = 0; i < this.#size; i++) {
      if (keep(i)) kept.push({ line: this.lineAt(i), stamp: this.stampAt(i), seq: this.seqAt(i) });
    }
    const removed = this.#size - kept.length;
    this.clear();
    for (const k of kept) this.push(k.line, k.stamp, k.seq);
    return removed;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
    this.#chunks = [];
    this.#firstChunkNo = 0;
    this.#tailOffset = 0;
    this.#bytes = 0;
  }

  #slot(i: number): number {
    return (this.#head + i) % this.#capacity;
  }

  #chunkOf(slot: number): Buffer {
    return this.#chunks[(this.#chunkNo[slot] as number) - this.#firstChunkNo] as Buffer;
  }

  /** Doubles the ring (up to `maxEntries`), oldest entry first in the new one. */
  #grow(): void {
    const capacity = Math.min(Math.max(this.#capacity * 2, INITIAL_ENTRIES), this.#maxEntries);
    const move = <T extends Column<T>>(from: T, to: T): T => {
      const wrapped = this.#head + this.#size - this.#capacity;
      if (wrapped <= 0) {
        to.set(from.subarray(this.#head, this.#head + this.#size));
      } else {
        to.set(from.subarray(this.#head, this.#capacity));
        to.set(from.subarray(0, wrapped), this.#capacity - this.#head);
      }
      return to;
    };
    this.#chunkNo = move(this.#chunkNo, new Float64Array(capacity));
    this.#offset = move(this.#offset, new Uint32Array(capacity));
    this.#length = move(this.#length, new Uint32Array(capacity));
    this.#stamp = move(this.#stamp, new BigInt64Array(capacity));
    this.#seq = move(this.#seq, new Float64Array(capacity));
    this.#head = 0;
    this.#capacity = capacity;
  }
}

// The sink when no database is configured: daily files of line protocol in a data folder,
// `metrics-YYYY-MM-DD.lp` (UTC day of arrival). A file can be imported as it is with
// `influx -import -path=FILE -precision=ns` (its `# DML` / `# CONTEXT-DATABASE` header lines
// are what the importer needs, and comments to everything else) or POSTed to InfluxDB's
// `/write?db=...&precision=n`.
//
// A write is acknowledged only after it is on disk (written, then `fdatasync`). Concurrent writes
// share one append and one sync. A failed write is cut off again, so a file never holds half a
// batch; a half line left by a crash is cut off when the store opens. Retention: files more than
// `retentionDays` days old are deleted, and the oldest files go when the total would pass
// `retentionBytes` (if today's file alone would, writes are refused with "unavailable").
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseLine, trailingTimestamp } from '../../protocol/line-protocol/parse.js';
import type { Sample } from '../../protocol/schema.js';
import { type LineBatch, type Sink, SinkUnavailableError } from './sink.js';

export interface EmbeddedStoreOptions {
  readonly dataDir: string;
  /** Keep today's file and this many days before it. */
  readonly retentionDays: number;
  /** Most bytes all files may hold together. */
  readonly retentionBytes: number;
  /** Database named in each file's header for `influx -import`. Default `netbird`. */
  readonly database?: string;
  /** Milliseconds clock (picks the day's file), for tests. */
  readonly clock?: () => number;
}

export interface StoreFile {
  readonly path: string;
  /** `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly bytes: number;
}

export interface ReadRange {
  /** Earliest sample time, inclusive (a Date or epoch milliseconds). */
  readonly from?: Date | number;
  /** Latest sample time, exclusive. */
  readonly to?: Date | number;
}

const FILE_NAME = /^metrics-(\d{4}-\d{2}-\d{2})\.lp$/;
const DAY_MS = 86_400_000;
/** Buffers per writev call (the system limit is 1024). */
const WRITEV_BATCH = 512;

interface Pending {
  readonly batch: LineBatch;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export function storeFileName(day: string): string {
  return `metrics-${day}.lp`;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

function toNs(at: Date | number | undefined): bigint | undefined {
  if (at === undefined) return undefined;
  const ms = at instanceof Date ? at.getTime() : at;
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function inRange(t: bigint, from: bigint | undefined, to: bigint | undefined): boolean {
  return (from === undefined || t >= from) && (to === undefined || t < to);
}

export class EmbeddedStore implements Sink {
  readonly kind = 'embedded' as const;
  readonly target: string;
  readonly #dir: string;
  readonly #retentionDays: number;
  readonly #retentionBytes: number;
  readonly #header: Buffer;
  readonly #clock: () => number;

  /** Size of every store file, by day. */
  readonly #sizes = new Map<string, number>();
  #total = 0;
  #handle: FileHandle | undefined;
  #handleDay: string | undefined;
  #queue: Pending[] = [];
  #busy: Promise<void> | undefined;
  #closed = false;

  private constructor(options: EmbeddedStoreOptions) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 0) {
      throw new RangeError('retentionDays must be a whole number of days >= 0');
    }
    if (!(options.retentionBytes > 0)) throw new RangeError('retentionBytes must be > 0');
    this.#dir = resolve(options.dataDir);
    this.target = this.#dir;
    this.#retentionDays = options.retentionDays;
    this.#retentionBytes = options.retentionBytes;
    this.#header = Buffer.from(`# DML\n# CONTEXT-DATABASE: ${options.database ?? 'netbird'}\n`);
    this.#clock = options.clock ?? Date.now;
  }

  /** Opens (creating the folder if needed), repairs a cut-off last line, applies retention. */
  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(options);
    await store.#init();
    return store;
  }

  /** Total bytes in the store's files. */
  get totalBytes(): number {
    return this.#total;
  }

  write(batch: LineBatch): Promise<void> {
    if (this.#closed) return Promise.reject(new SinkUnavailableError('embedded store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#kick();
    });
  }

  /** The store's files, oldest first. */
  async files(): Promise<StoreFile[]> {
    return [...this.#sizes.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([day, bytes]) => ({ day, bytes, path: join(this.#dir, storeFileName(day)) }));
  }

  /** Every stored sample with a time in the range, file by file, in the order stored. */
  async *readSamples(range: ReadRange = {}): AsyncGenerator<Sample> {
    const from = toNs(range.from);
    const to = toNs(range.to);
    for (const file of await this.files()) {
      for await (const line of readCompleteLines(file.path)) {
        if (line === '' || line.startsWith('#')) continue;
        // Most lines of a long-lived store are outside a dashboard's window: skip those by their
        // timestamp alone. Lines without one (or with a bad one) go through the full parse.
        const stamp = trailingTimestamp(line);
        if (stamp !== undefined && !inRange(stamp, from, to)) continue;
        const sample = parseLine(line);
        const t = sample.timestampNs;
        if (from !== undefined && (t === undefined || t < from)) continue;
        if (to !== undefined && (t === undefined || t >= to)) continue;
        yield sample;
      }
    }
  }

  /** Finishes queued writes, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#busy !== undefined) await this.#busy;
    await this.#handle?.close();
    this.#handle = undefined;
    this.#handleDay = undefined;
  }

  async #init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    for (const name of await readdir(this.#dir)) {
      const match = FILE_NAME.exec(name);
      if (match === null) continue;
      const bytes = await repairTail(join(this.#dir, name));
      this.#sizes.set(match[1]!, bytes);
      this.#total += bytes;
    }
    await this.#applyRetentionDays(dayOf(this.#clock()));
    const today = dayOf(this.#clock());
    while (this.#total > this.#retentionBytes && (await this.#dropOldest(today))) {}
  }

  #kick(): void {
    if (this.#busy !== undefined) return;
    this.#busy = this.#drain().finally(() => {
      this.#busy = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const jobs = this.#queue;
    this.#queue = [];
    const day = dayOf(this.#clock());
    let handle: FileHandle;
    try {
      handle = await this.#useDay(day);
    } catch (error) {
      for (const job of jobs) job.reject(unavailable('cannot open the store file', error));
      return;
    }
    const accepted: Pending[] = [];
    const buffers: Buffer[] = [];
    let bytes = 0;
    for (const job of jobs) {
      const need = this.#total + bytes + job.batch.byteLength;
      if (need > this.#retentionBytes && !(await this.#makeRoom(need, day))) {
        job.reject(
          new SinkUnavailableError(
            `embedded store is full: today's data would pass the retention bound of ${this.#retentionBytes} bytes`,
          ),
        );
        continue;
      }
      accepted.push(job);
      for (const piece of job.batch.pieces) buffers.push(piece);
      bytes += job.batch.byteLength;
    }
    if (accepted.length === 0) return;
    const before = this.#sizes.get(day) ?? 0;
    try {
      await writeAll(handle, buffers, bytes);
      await handle.datasync();
    } catch (error) {
      // Cut off whatever part of the batch reached the file, so no half line stays behind.
      await handle.truncate(before).catch(() => {});
      for (const job of accepted) job.reject(unavailable('embedded store write failed', error));
      return;
    }
    this.#sizes.set(day, before + bytes);
    this.#total += bytes;
    for (const job of accepted) job.resolve();
  }

  async #useDay(day: string): Promise<FileHandle> {
    if (this.#handle !== undefined && this.#handleDay === day) return this.#handle;
    await this.#handle?.close();
    this.#handle = undefined;
    this.#handleDay = undefined;
    const path = join(this.#dir, storeFileName(day));
    const handle = await open(path, 'a');
    try {
      const { size } = await handle.stat();
      if (size === 0) {
        await writeAll(handle, [this.#header], this.#header.length);
        await handle.datasync();
        await syncDirectory(this.#dir);
      }
      const bytes = size === 0 ? this.#header.length : size;
      this.#total += bytes - (this.#sizes.get(day) ?? 0);
      this.#sizes.set(day, bytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#handle = handle;
    this.#handleDay = day;
    await this.#applyRetentionDays(day);
    return handle;
  }

  async #applyRetentionDays(today: string): Promise<void> {
    const cutoff = dayNumber(today) - this.#retentionDays;
    for (const day of [...this.#sizes.keys()]) {
      if (dayNumber(day) < cutoff) await this.#remove(day);
    }
  }

  /** Deletes old files until `need` bytes fit; false if only today's file is left. */
  async #makeRoom(need: number, today: string): Promise<boolean> {
    let excess = need - this.#retentionBytes;
    while (excess > 0) {
      const before = this.#total;
      if (!(await this.#dropOldest(today))) return false;
      excess -= before - this.#total;
    }
    return true;
  }

  async #dropOldest(today: string): Promise<boolean> {
    const oldest = [...this.#sizes.keys()].filter((day) => day !== today).sort()[0];
    if (oldest === undefined) return false;
    await this.#remove(oldest);
    return true;
  }

  async #remove(day: string): Promise<void> {
    await rm(join(this.#dir, storeFileName(day)), { force: true });
    this.#total -= this.#sizes.get(day) ?? 0;
    this.#sizes.delete(day);
  }
}

function unavailable(what: string, error: unknown): SinkUnavailableError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SinkUnavailableError(
    `${what}: ${code ?? (error instanceof Error ? error.message : String(error))}`,
  );
}

async function writeAll(
  handle: FileHandle,
  buffers: readonly Buffer[],
  total: number,
): Promise<void> {
  let written = 0;
  let index = 0;
  let offset = 0; // into buffers[index], after a short write
  while (written < total) {
    const group: Buffer[] = [];
    for (let k = index; k < buffers.length && group.length < WRITEV_BATCH; k++) {
      group.push(k === index && offset > 0 ? buffers[k]!.subarray(offset) : buffers[k]!);
    }
    const { bytesWritten } = await handle.writev(group);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    written += bytesWritten;
    // Advance past what was written.
    let left = bytesWritten;
    while (left > 0 && index < buffers.length) {
      const rest = buffers[index]!.length - offset;
      if (left >= rest) {
        left -= rest;
        index++;
        offset = 0;
      } else {
        offset += left;
        left = 0;
      }
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts a file back to its last newline (a crash can leave half a line); returns its size. */
async function repairTail(path: string): Promise<number> {
  const { size } = await stat(path);
  if (size === 0) return 0;
  const handle = await open(path, 'r+');
  try {
    const block = Buffer.alloc(Math.min(size, 64 * 1024));
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const nl = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) await handle.truncate(keep);
        return keep;
      }
      end = start;
    }
    await handle.truncate(0);
    return 0;
  } finally {
    await handle.close();
  }
}

/** The newline-terminated lines of a file (a last line still being written is left out). */
async function* readCompleteLines(path: string): AsyncGenerator<string> {
  let rest = '';
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
      const text = rest + (chunk as string);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
  } catch (error) {
    // A file removed by retention while being read simply ends.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

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
//
// Like a database, the store keeps one line per point (series + timestamp): a body sent again
// after its answer was lost is stored once, as long as its points are among the recent ones it
// remembers. A line without a timestamp gets the store's own, distinct for every line. Every
// file-system failure refuses the write as unavailable (the client retries later) and is
// reported by `writeProblem` until a write succeeds again.
import { type FileHandle, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseLine, trailingTimestamp } from '../../protocol/line-protocol/parse.js';
import type { Sample } from '../../protocol/schema.js';
import { type BatchPoints, batchPoints, pointOf } from './batch-points.js';
import { RecentPoints } from './recent-points.js';
import { type LineBatch, type Sink, SinkUnavailableError } from './sink.js';
import {
  readCompleteLines,
  readLastLines,
  repairTail,
  syncDirectory,
  writeAll,
} from './store-files.js';

export interface EmbeddedStoreOptions {
  readonly dataDir: string;
  /** Keep today's file and this many days before it. */
  readonly retentionDays: number;
  /** Most bytes all files may hold together. */
  readonly retentionBytes: number;
  /** Database named in each file's header for `influx -import`. Default `netbird`. */
  readonly database?: string;
  /** Milliseconds clock (picks the day's file, stamps lines without a time), for tests. */
  readonly clock?: () => number;
  /**
   * Memory for the points remembered to leave out resent lines (an estimate, in bytes). Default
   * {@link DEFAULT_RECENT_POINTS_BYTES}; at about 100 bytes a point that is some 160 000 points.
   */
  readonly recentPointsBytes?: number;
}

export const DEFAULT_RECENT_POINTS_BYTES = 16 * 1024 * 1024;

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
  /** Stops the read (it rejects with the reason), checked on every line read, kept or not. */
  readonly signal?: AbortSignal | undefined;
}

const FILE_NAME = /^metrics-(\d{4}-\d{2}-\d{2})\.lp$/;
const DAY_MS = 86_400_000;

interface Pending {
  readonly batch: LineBatch;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A job taken into this append, with the points it adds. */
interface Accepted {
  readonly job: Pending;
  readonly points: BatchPoints;
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
  readonly #recent: RecentPoints;
  readonly #recentBytes: number;

  /** Size of every store file, by day. */
  readonly #sizes = new Map<string, number>();
  #total = 0;
  #handle: FileHandle | undefined;
  #handleDay: string | undefined;
  #queue: Pending[] = [];
  #busy: Promise<void> | undefined;
  #closed = false;
  #problem: string | undefined;
  /** The last timestamp the store gave a line, in nanoseconds. */
  #lastStamp = 0n;

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
    this.#recentBytes = options.recentPointsBytes ?? DEFAULT_RECENT_POINTS_BYTES;
    this.#recent = new RecentPoints(this.#recentBytes);
  }

  /**
   * Opens (creating the folder if needed), repairs a cut-off last line, applies retention, and
   * remembers the points at the end of the newest file (a resend after a restart is still
   * recognised).
   */
  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(options);
    await store.#init();
    return store;
  }

  /** Total bytes in the store's files. */
  get totalBytes(): number {
    return this.#total;
  }

  /** Why the last write could not be stored, until one is again; undefined while writes work. */
  get writeProblem(): string | undefined {
    return this.#problem;
  }

  /** Points remembered to leave out resent lines. */
  get recentPoints(): number {
    return this.#recent.size;
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
      .map(([day, bytes]) => ({ day, bytes, path: this.#path(day) }));
  }

  /** Every stored sample with a time in the range, file by file, in the order stored. */
  async *readSamples(range: ReadRange = {}): AsyncGenerator<Sample> {
    const from = toNs(range.from);
    const to = toNs(range.to);
    for (const file of await this.files()) {
      range.signal?.throwIfAborted();
      for await (const line of readCompleteLines(file.path)) {
        range.signal?.throwIfAborted();
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

  #path(day: string): string {
    return join(this.#dir, storeFileName(day));
  }

  async #init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      const match = FILE_NAME.exec(entry.name);
      // Anything else under a store file's name (a directory, say) is not the store's to touch.
      if (match === null || !entry.isFile()) continue;
      const bytes = await repairTail(join(this.#dir, entry.name));
      this.#sizes.set(match[1]!, bytes);
      this.#total += bytes;
    }
    const today = dayOf(this.#clock());
    await this.#applyRetentionDays(today);
    while (this.#total > this.#retentionBytes && (await this.#dropOldest(today)) === true) {}
    await this.#rememberNewest();
  }

  /** Seeds the recent points from the end of the newest file. */
  async #rememberNewest(): Promise<void> {
    const newest = [...this.#sizes.keys()].sort().at(-1);
    if (newest === undefined || this.#recentBytes === 0) return;
    const text = await readLastLines(this.#path(newest), this.#recentBytes);
    for (let pos = 0; pos < text.length; ) {
      const nl = text.indexOf(0x0a, pos);
      const point = pointOf(text, pos, nl);
      if (point?.stamp !== undefined) this.#recent.add(point.series, point.stamp);
      pos = nl + 1;
    }
  }

  #kick(): void {
    if (this.#busy !== undefined) return;
    this.#busy = this.#drain().finally(() => {
      this.#busy = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  /** One append for every queued write. Never rejects: each job hears how its write went. */
  async #drain(): Promise<void> {
    const jobs = this.#queue;
    this.#queue = [];
    try {
      await this.#append(jobs);
    } catch (error) {
      // A step below that failed unexpectedly; a job already settled stays as it was.
      this.#refuse(jobs, unavailable('embedded store write failed', error));
    }
  }

  async #append(jobs: readonly Pending[]): Promise<void> {
    const day = dayOf(this.#clock());
    let handle: FileHandle;
    try {
      handle = await this.#useDay(day);
    } catch (error) {
      return this.#refuse(jobs, unavailable('cannot open the store file', error));
    }
    const accepted = await this.#admit(jobs, day);
    if (accepted.length === 0) return;
    const buffers = accepted.flatMap((a) => a.points.buffers);
    const bytes = accepted.reduce((sum, a) => sum + a.points.bytes, 0);
    const before = this.#sizes.get(day) ?? 0;
    if (bytes > 0) {
      try {
        await writeAll(handle, buffers, bytes);
        await handle.datasync();
      } catch (error) {
        // Cut off whatever part of the batch reached the file, so no half line stays behind;
        // if even that fails, the file is opened afresh (and cut back) before the next write.
        await handle.truncate(before).catch(() => this.#dropHandle());
        return this.#refuse(
          accepted.map((a) => a.job),
          unavailable('embedded store write failed', error),
        );
      }
    }
    this.#sizes.set(day, before + bytes);
    this.#total += bytes;
    this.#problem = undefined;
    for (const { job, points } of accepted) {
      for (let k = 0; k < points.points.length; k += 2) {
        this.#recent.add(points.points[k]!, points.points[k + 1]!);
      }
      job.resolve();
    }
  }

  /** The jobs whose new lines fit within the byte bound (old files deleted to make room). */
  async #admit(jobs: readonly Pending[], day: string): Promise<Accepted[]> {
    const accepted: Accepted[] = [];
    const taken = new RecentPoints(Number.POSITIVE_INFINITY);
    const seen = (series: string, stamp: string) =>
      this.#recent.has(series, stamp) || taken.has(series, stamp);
    let bytes = 0;
    for (const job of jobs) {
      const points = batchPoints(job.batch, seen, () => this.#nextStamp());
      const need = this.#total + bytes + points.bytes;
      const refusal = need > this.#retentionBytes ? await this.#makeRoom(need, day) : undefined;
      if (refusal !== undefined) {
        this.#refuse([job], refusal);
        continue;
      }
      for (let k = 0; k < points.points.length; k += 2) {
        taken.add(points.points[k]!, points.points[k + 1]!);
      }
      accepted.push({ job, points });
      bytes += points.bytes;
    }
    return accepted;
  }

  #refuse(jobs: readonly Pending[], error: SinkUnavailableError): void {
    this.#problem = error.message;
    for (const job of jobs) job.reject(error);
  }

  /** A nanosecond time for a line without one: now, but always after the last one given. */
  #nextStamp(): bigint {
    const now = BigInt(Math.floor(this.#clock())) * 1_000_000n;
    this.#lastStamp = now > this.#lastStamp ? now : this.#lastStamp + 1n;
    return this.#lastStamp;
  }

  async #useDay(day: string): Promise<FileHandle> {
    if (this.#handle !== undefined && this.#handleDay === day) return this.#handle;
    this.#dropHandle();
    const handle = await open(this.#path(day), 'a');
    let size = -1;
    try {
      size = (await handle.stat()).size;
      const known = this.#sizes.get(day);
      if (size === 0) {
        await writeAll(handle, [this.#header], this.#header.length);
        await handle.datasync();
        await syncDirectory(this.#dir);
      } else if (known !== undefined && size > known) {
        // What a failed write could not cut off: never acknowledged, so not kept.
        await handle.truncate(known);
      }
      const bytes = size === 0 ? this.#header.length : Math.min(size, known ?? size);
      this.#total += bytes - (known ?? 0);
      this.#sizes.set(day, bytes);
    } catch (error) {
      // A new file whose header did not get written whole is emptied, to get it whole next time.
      if (size === 0) await handle.truncate(0).catch(() => {});
      await handle.close().catch(() => {});
      throw error;
    }
    this.#handle = handle;
    this.#handleDay = day;
    await this.#applyRetentionDays(day);
    return handle;
  }

  /** Forgets the open file (closing it in the background: its data is already synced). */
  #dropHandle(): void {
    void this.#handle?.close().catch(() => {});
    this.#handle = undefined;
    this.#handleDay = undefined;
  }

  /** Deletes files past the retention; one that will not go is tried again on a later day. */
  async #applyRetentionDays(today: string): Promise<void> {
    const cutoff = dayNumber(today) - this.#retentionDays;
    for (const day of [...this.#sizes.keys()]) {
      if (dayNumber(day) < cutoff) await this.#remove(day).catch(() => {});
    }
  }

  /** Deletes old files until `need` bytes fit; else why the write is refused. */
  async #makeRoom(need: number, today: string): Promise<SinkUnavailableError | undefined> {
    let excess = need - this.#retentionBytes;
    while (excess > 0) {
      const before = this.#total;
      const dropped = await this.#dropOldest(today);
      if (dropped !== true) return dropped;
      excess -= before - this.#total;
    }
    return undefined;
  }

  /** Deletes the oldest file but today's: true, or why it could not. */
  async #dropOldest(today: string): Promise<true | SinkUnavailableError> {
    const oldest = [...this.#sizes.keys()].filter((day) => day !== today).sort()[0];
    if (oldest === undefined) {
      return new SinkUnavailableError(
        `embedded store is full: today's data would pass the retention bound of ${this.#retentionBytes} bytes`,
      );
    }
    try {
      await this.#remove(oldest);
      return true;
    } catch (error) {
      return unavailable(
        `embedded store is full and cannot delete ${this.#path(oldest)} to make room`,
        error,
      );
    }
  }

  async #remove(day: string): Promise<void> {
    await rm(this.#path(day), { force: true });
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

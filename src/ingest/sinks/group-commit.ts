import {
  type LineBatch,
  type RefusedLines,
  type Sink,
  type SinkKind,
  SinkRejectedError,
  SinkUnavailableError,
} from './sink.js';

export interface GroupCommitOptions {
  /** Longest a push waits for others to join its write, in ms (more than 0). */
  readonly lingerMs: number;
  /** A group is written once it holds this many lines. */
  readonly maxLines: number;
  /** A group is written once it holds this many (uncompressed) bytes. */
  readonly maxBytes: number;
  /**
   * Combined writes in flight at most: while that many are, a group whose linger is over keeps
   * taking pushes (up to the bounds) and goes when one is answered. Undefined: no cap.
   */
  readonly maxWrites?: number;
  /** Told the number of pushes of every group as it is written. */
  readonly onGroup?: (pushes: number) => void;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a sink may resolve with nothing
type WriteResult = RefusedLines | void;

/** One client's push waiting in, or written with, a group. */
interface Member {
  readonly batch: LineBatch;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  group: Group;
  onGone: (() => void) | undefined;
}

interface Group {
  readonly members: Member[];
  lines: number;
  bytes: number;
  /** Pushes whose client still waits; the write is aborted once none does. */
  live: number;
  readonly controller: AbortController;
  sent: boolean;
}

/**
 * Combines concurrent pushes into one database write: a database such as InfluxDB pays a large
 * fixed cost per write, so 64 writes of 50 lines cost it far more than one of 3,200. A push joins
 * the open group; the group is written once it holds `maxLines` lines or `maxBytes` bytes, or
 * `lingerMs` after its first push (later while `maxWrites` combined writes are in flight: under
 * load, groups grow instead of queueing). Every push is answered only once the combined write is
 * acknowledged, so 2xx still means stored. When the database refuses the combined write as a bad
 * request (or a limit keeps lines out), each push is written again on its own and answered for
 * its own lines: one client's bad line never fails another's. Writing a line twice is harmless, a
 * point being its series and timestamp. An outage fails every push of the group.
 */
export class GroupCommitSink implements Sink {
  readonly kind: SinkKind;
  readonly target: string;
  readonly forwardsGzip: boolean | undefined;
  readonly #inner: Sink;
  readonly #options: GroupCommitOptions;
  #open: Group | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The open group's linger is over: it goes as soon as a write may start. */
  #due = false;
  readonly #writing = new Set<Promise<void>>();
  #closing = false;

  constructor(inner: Sink, options: GroupCommitOptions) {
    this.#inner = inner;
    this.#options = options;
    this.kind = inner.kind;
    this.target = inner.target;
    this.forwardsGzip = inner.forwardsGzip;
  }

  get writeProblem(): string | undefined {
    return this.#inner.writeProblem;
  }

  write(batch: LineBatch, signal?: AbortSignal): Promise<WriteResult> {
    if (signal?.aborted) return Promise.reject(new SinkUnavailableError('client went away'));
    const { maxLines, maxBytes } = this.#options;
    const open = this.#open;
    // A push that would take the open group over a bound starts the next one instead.
    if (
      open !== undefined &&
      (open.lines + batch.lines > maxLines || open.bytes + batch.byteLength > maxBytes)
    ) {
      this.#flush();
    }
    return new Promise<WriteResult>((resolve, reject) => {
      const group = this.#openGroup();
      const member: Member = {
        batch,
        signal,
        resolve,
        reject,
        settled: false,
        group,
        onGone: undefined,
      };
      group.members.push(member);
      group.lines += batch.lines;
      group.bytes += batch.byteLength;
      group.live++;
      if (signal !== undefined) {
        member.onGone = () => this.#gone(member);
        signal.addEventListener('abort', member.onGone, { once: true });
      }
      if (group.lines >= maxLines || group.bytes >= maxBytes || this.#closing) this.#flush();
      else this.#timer ??= setTimeout(() => this.#lingered(), this.#options.lingerMs);
    });
  }

  /** Writes what is waiting at once, waits for every write, then closes the database sink. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#flush();
    await Promise.allSettled([...this.#writing]);
    await this.#inner.close();
  }

  #openGroup(): Group {
    this.#open ??= {
      members: [],
      lines: 0,
      bytes: 0,
      live: 0,
      controller: new AbortController(),
      sent: false,
    };
    return this.#open;
  }

  #lingered(): void {
    this.#timer = undefined;
    this.#due = true;
    if (this.#writing.size < (this.#options.maxWrites ?? Number.POSITIVE_INFINITY)) this.#flush();
  }

  /** A write was answered: a group that waited for it goes now. */
  #answered(writing: Promise<void>): void {
    this.#writing.delete(writing);
    if (this.#due) this.#flush();
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = false;
    const group = this.#open;
    this.#open = undefined;
    if (group === undefined || group.members.length === 0) return;
    group.sent = true;
    this.#options.onGroup?.(group.members.length);
    const writing = this.#commit(group);
    this.#writing.add(writing);
    void writing.finally(() => this.#answered(writing));
  }

  /** A client went away: its push leaves a waiting group, or stops holding a write open. */
  #gone(member: Member): void {
    const group = member.group;
    settle(member, undefined, new SinkUnavailableError('client went away'));
    if (group.sent) {
      if (group.live === 0) group.controller.abort();
      return;
    }
    const at = group.members.indexOf(member);
    if (at >= 0) group.members.splice(at, 1);
    group.lines -= member.batch.lines;
    group.bytes -= member.batch.byteLength;
    if (group.members.length === 0 && this.#open === group) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#due = false;
      this.#open = undefined;
    }
  }

  async #commit(group: Group): Promise<void> {
    const members = group.members;
    if (members.length === 1) return this.#alone(members[0] as Member, group.controller.signal);
    try {
      const signal = group.controller.signal;
      const result = await this.#inner.write(combine(members), signal);
      if (result === undefined) {
        for (const member of members) settle(member, undefined);
        return;
      }
    } catch (error) {
      if (!(error instanceof SinkRejectedError)) {
        for (const member of members) settle(member, undefined, error);
        return;
      }
    }
    // Refused as a bad request, or a limit kept lines out: only a write of each push on its own
    // tells whose lines are at fault.
    await Promise.all(members.map((member) => this.#alone(member, member.signal)));
  }

  async #alone(member: Member, signal: AbortSignal | undefined): Promise<void> {
    if (member.settled) return;
    try {
      settle(member, await this.#inner.write(member.batch, signal));
    } catch (error) {
      settle(member, undefined, error);
    }
  }
}

/** Answers a push once; `error` given: it failed. */
function settle(member: Member, result: WriteResult, error?: unknown): void {
  if (member.settled) return;
  member.settled = true;
  member.group.live--;
  if (member.onGone !== undefined) member.signal?.removeEventListener('abort', member.onGone);
  if (error === undefined) member.resolve(result);
  else member.reject(error);
}

/** The pushes as one batch; each stays a part, so its own gzip can be passed on. */
export function combine(members: readonly { readonly batch: LineBatch }[]): LineBatch {
  const pieces: Buffer[] = [];
  const parts: LineBatch[] = [];
  let byteLength = 0;
  let lines = 0;
  for (const { batch } of members) {
    for (const piece of batch.pieces) pieces.push(piece);
    byteLength += batch.byteLength;
    lines += batch.lines;
    parts.push(batch);
  }
  return { pieces, byteLength, lines, parts };
}

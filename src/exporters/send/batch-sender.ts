import { diag } from '@opentelemetry/api';
import { retryDelay } from '../../protocol/http-retry.js';
import type { BatchQueue, QueuedBatch } from './batch-queue.js';
import { deadlineSignal } from './deadline.js';
import type { PostResult } from './http-transport.js';
import { type Scheduler, systemScheduler, type TimerHandle } from './scheduler.js';
import { SerialRunner } from './serial-runner.js';

export interface SendCounters {
  /** Requests made. */
  requests: number;
  /** Entries the server accepted (2xx). */
  sent: number;
  /** Entries dropped because the server refused them with a non-retryable 4xx. */
  droppedByServer: number;
  /** Failed requests whose batch was kept for a later attempt. */
  retries: number;
  /** All failed requests (kept or dropped). */
  failures: number;
  lastStatus: number | undefined;
  lastError: string | undefined;
}

export function newSendCounters(): SendCounters {
  return {
    requests: 0,
    sent: 0,
    droppedByServer: 0,
    retries: 0,
    failures: 0,
    lastStatus: undefined,
    lastError: undefined,
  };
}

/** One attempt to deliver a body. Never throws: a transport error is a `retry` result. */
export type SendBody = (body: string, signal: AbortSignal) => Promise<PostResult>;

export interface BatchSenderOptions<B extends QueuedBatch> {
  queue: BatchQueue<B>;
  /** Bounds of one request. */
  maxBatchItems: number;
  maxBatchBytes: number;
  /** Requests per drain, so a drain ends even if entries arrive as fast as they are sent. */
  maxRequests: number;
  /** Deadline of one request, answer included. */
  requestTimeoutMs: number;
  /** Longest wait after failures, and the cap on a server's `Retry-After`. */
  maxRetryMs: number;
  /** What the queue holds (`samples`, `lines`), for log messages. */
  unit: string;
  /** Default: a fresh set; pass one to keep counting across senders. */
  counters?: SendCounters;
  scheduler?: Scheduler;
  random?: () => number;
}

/**
 * Which waits a drain respects: `all` for a send that just happens to be due (an export),
 * `retry-after` for a send that was asked for (a flush: it skips the backoff, but a server's
 * `Retry-After` is its explicit request to stay away), `none` when the caller's own schedule
 * already waited for both.
 */
export type WaitPolicy = 'all' | 'retry-after' | 'none';

export interface DrainOptions {
  send: SendBody;
  /** The destination in log messages, e.g. `push to https://…`. */
  label: string;
  /** The first backoff step: the push interval, or the exporter's minimum retry delay. */
  baseDelayMs: number;
  waits: WaitPolicy;
  /** Stop, or a flush's deadline. */
  signal?: AbortSignal;
  /** Checked before each request: a reason to send nothing now, or undefined. */
  blocked?: () => string | undefined;
}

export type DrainOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'blocked'; readonly why: string }
  | { readonly kind: 'waiting'; readonly untilMs: number }
  | { readonly kind: 'rejected'; readonly message: string }
  | { readonly kind: 'retry'; readonly message: string; readonly delayMs: number }
  | { readonly kind: 'aborted' };

/**
 * The one batch-send engine behind both line-protocol senders (the NetBird push and the
 * InfluxDB metric exporter). A drain takes the queue's oldest entries as one bounded body,
 * sends it, and then:
 * - 2xx: acknowledges exactly what was sent (entries queued meanwhile stay) and goes on;
 * - a non-retryable 4xx: discards that batch (counted) and ends the drain, so a misconfigured
 *   server costs one batch per drain instead of the whole queue;
 * - anything else (408, 429, 5xx, network error, timeout): keeps the batch, ends the drain and
 *   backs off exponentially from `baseDelayMs`, at least a server's `Retry-After`, at most
 *   `maxRetryMs`.
 * All work on one sender runs one piece at a time (`run`), and every timer and clock reading
 * goes through the scheduler, so fake timers drive it completely.
 */
export class BatchSender<B extends QueuedBatch> {
  readonly counters: SendCounters;
  readonly #queue: BatchQueue<B>;
  readonly #maxBatchItems: number;
  readonly #maxBatchBytes: number;
  readonly #maxRequests: number;
  readonly #requestTimeoutMs: number;
  readonly #maxRetryMs: number;
  readonly #unit: string;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #serial = new SerialRunner();
  #consecutiveFailures = 0;
  /** The backoff: a send that is merely due waits until then. */
  #backoffUntil = 0;
  /** The server's `Retry-After`: even a requested send waits until then. */
  #retryAfterUntil = 0;
  #timer: TimerHandle | undefined;

  constructor(options: BatchSenderOptions<B>) {
    this.#queue = options.queue;
    this.#maxBatchItems = options.maxBatchItems;
    this.#maxBatchBytes = options.maxBatchBytes;
    this.#maxRequests = options.maxRequests;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#maxRetryMs = options.maxRetryMs;
    this.#unit = options.unit;
    this.counters = options.counters ?? newSendCounters();
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
  }

  get scheduler(): Scheduler {
    return this.#scheduler;
  }

  /** A timer is waiting to run work (`arm`). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Runs `work` after everything handed to this sender before it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.#serial.run(work);
  }

  /** Settles once all work handed in so far has finished. */
  idle(): Promise<void> {
    return this.#serial.idle();
  }

  /** Runs `work` (in turn) after `delayMs`, replacing a timer already armed. */
  arm(delayMs: number, work: () => Promise<unknown>): void {
    this.disarm();
    this.#timer = this.#scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.run(work).catch((error: unknown) => {
        diag.error('netbird-otel-metrics: scheduled send failed', error);
      });
    }, delayMs);
  }

  disarm(): void {
    this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends the queue's oldest entries in bounded batches, one request after another. */
  async drain(options: DrainOptions): Promise<DrainOutcome> {
    for (let i = 0; i < this.#maxRequests; i++) {
      if (options.signal?.aborted) return { kind: 'aborted' };
      const why = options.blocked?.();
      if (why !== undefined) return { kind: 'blocked', why };
      if (this.#queue.size === 0) return { kind: 'done' };
      const untilMs = this.#waitUntil(options.waits);
      if (this.#scheduler.now() < untilMs) return { kind: 'waiting', untilMs };
      const batch = this.#queue.takeBatch(this.#maxBatchItems, this.#maxBatchBytes);
      if (batch === undefined) return { kind: 'done' };
      const outcome = await this.#sendOne(batch, options);
      if (outcome !== undefined) return outcome;
    }
    return { kind: 'done' };
  }

  #waitUntil(waits: WaitPolicy): number {
    if (waits === 'none') return 0;
    if (waits === 'retry-after') return this.#retryAfterUntil;
    return Math.max(this.#retryAfterUntil, this.#backoffUntil);
  }

  /** One request; undefined when the drain goes on. */
  async #sendOne(batch: B, options: DrainOptions): Promise<DrainOutcome | undefined> {
    const c = this.counters;
    c.requests++;
    const request = deadlineSignal(this.#scheduler, this.#requestTimeoutMs, options.signal);
    let result: PostResult;
    try {
      result = await options.send(batch.body, request.signal);
    } finally {
      request.dispose();
    }
    c.lastStatus = result.status;
    if (result.kind === 'success') {
      this.#queue.acknowledge(batch);
      c.sent += batch.count;
      this.#consecutiveFailures = 0;
      return undefined;
    }
    // Cut off by stop or a deadline, not by the server: not a failure of the server.
    if (options.signal?.aborted && result.status === undefined) return { kind: 'aborted' };
    c.failures++;
    c.lastError = result.message;
    if (result.kind === 'reject') {
      c.droppedByServer += this.#queue.discard(batch);
      // The server answered about the data, so it is reachable: no reason to keep backing off.
      this.#consecutiveFailures = 0;
      diag.warn(
        `netbird-otel-metrics: ${options.label} refused (${result.message}); dropped ${batch.count} ${this.#unit}`,
      );
      return { kind: 'rejected', message: result.message };
    }
    return this.#backOff(result, options);
  }

  #backOff(result: PostResult, options: DrainOptions): DrainOutcome {
    this.counters.retries++;
    this.#consecutiveFailures++;
    const now = this.#scheduler.now();
    const delayMs = retryDelay(
      this.#consecutiveFailures,
      options.baseDelayMs,
      this.#maxRetryMs,
      result.retryAfterMs,
      this.#random,
    );
    this.#backoffUntil = now + delayMs;
    if (result.retryAfterMs !== undefined) {
      this.#retryAfterUntil = now + Math.min(result.retryAfterMs, this.#maxRetryMs);
    }
    diag.warn(
      `netbird-otel-metrics: ${options.label} failed (${result.message}); ${this.#queue.size} ${this.#unit} kept for retry`,
    );
    return { kind: 'retry', message: result.message, delayMs };
  }
}

import { diag } from '@opentelemetry/api';
import { PEER_ID_HEADER } from '../../protocol/peer-id.js';
import {
  BatchSender,
  type DrainOutcome,
  newSendCounters,
  type SendCounters,
} from '../send/batch-sender.js';
import { type LineTransport, postLineProtocol } from '../send/http-transport.js';
import { type Scheduler, systemScheduler } from '../send/scheduler.js';
import { fetchUnref } from '../send/unref-fetch.js';
import type { PushSettings } from './push-settings.js';
import { type PushTarget, resolvePushTarget } from './push-target.js';
import { RemoteConfigManager, type RemoteConfigSource } from './remote-config.js';
import type { SampleBatch, SampleStore } from './sample-store.js';

export interface PushCounters {
  /** POST requests made. */
  requests: number;
  /** Samples the server accepted (2xx). */
  samplesSent: number;
  /** Samples dropped because the server refused them with a non-retryable 4xx. */
  samplesDroppedByServer: number;
  /** Failed requests whose batch was kept for a later attempt. */
  retries: number;
  /** All failed requests (kept or dropped). */
  failures: number;
  /** Cycles that sent nothing: no config, version out of range, no URL, no peer id. */
  cyclesSkipped: number;
  lastStatus: number | undefined;
  lastError: string | undefined;
}

/** What the push has done; outlives one pusher, so counts go on across restarts. */
export class PushTally {
  readonly send: SendCounters = newSendCounters();
  cyclesSkipped = 0;

  snapshot(): PushCounters {
    const s = this.send;
    return {
      requests: s.requests,
      samplesSent: s.sent,
      samplesDroppedByServer: s.droppedByServer,
      retries: s.retries,
      failures: s.failures,
      cyclesSkipped: this.cyclesSkipped,
      lastStatus: s.lastStatus,
      lastError: s.lastError,
    };
  }
}

export interface PushAgent {
  readonly version: string;
  /** Empty while unknown. */
  readonly peerId: string;
}

export interface IngestPusherOptions {
  store: SampleStore;
  settings: PushSettings;
  /** Read at every request, so updates to version and peer id apply at once. */
  agent: () => PushAgent;
  /** Shared across restarts; a fresh one by default. */
  tally?: PushTally;
  /** Default: a new manager for `settings.configUrl`. */
  remoteConfig?: RemoteConfigSource;
  random?: () => number;
  /** Timers and clock of the loop, retries and request timeouts. */
  scheduler?: Scheduler;
  /** Default: a gzip POST with `fetch`, on a connection that does not hold the process open. */
  transport?: LineTransport;
}

/** How a flush ended: everything stored was delivered, or why not. */
export type PushFlushResult =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly reason: string };

/**
 * The NetBird push loop: sends the sample store to the NetBird ingest. One instance is one
 * run: `start()` once, `stop()` once; a restart creates a new pusher, and so a fresh
 * remote-config cache, as NetBird's Go client does.
 *
 * Each cycle resolves the target (remote config, version range, overrides), then sends the
 * store's oldest samples in bounded batches, one request after another, with the shared batch
 * sender: 2xx acknowledges exactly the samples sent; a retryable failure ends the cycle and the
 * next one comes after the backoff (at least the interval and any `Retry-After`); any other 4xx
 * drops that batch (counted) and ends the cycle.
 * Nothing is sent while the own peer id is unknown: `X-Peer-ID` is required by the ingest.
 */
export class IngestPusher {
  readonly #store: SampleStore;
  readonly #settings: PushSettings;
  readonly #agent: () => PushAgent;
  readonly #tally: PushTally;
  readonly #remoteConfig: RemoteConfigSource;
  readonly #scheduler: Scheduler;
  readonly #transport: LineTransport;
  readonly #sender: BatchSender<SampleBatch>;
  readonly #abort = new AbortController();
  #state: 'new' | 'running' | 'stopped' = 'new';
  #lastTarget: PushTarget | undefined;

  constructor(options: IngestPusherOptions) {
    const s = options.settings;
    this.#store = options.store;
    this.#settings = s;
    this.#agent = options.agent;
    this.#tally = options.tally ?? new PushTally();
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#transport =
      options.transport ??
      ((url, body, post) => postLineProtocol(url, body, { ...post, fetch: fetchUnref }));
    this.#remoteConfig =
      options.remoteConfig ??
      new RemoteConfigManager({
        url: s.configUrl,
        refreshMs: s.configRefreshMs,
        scheduler: this.#scheduler,
      });
    this.#sender = new BatchSender({
      queue: options.store,
      maxBatchItems: s.maxBatchSamples,
      maxBatchBytes: s.maxBatchBytes,
      // Bounded even if samples arrive as fast as they are sent.
      maxRequests: Math.ceil(options.store.maxSamples / s.maxBatchSamples) + 1,
      requestTimeoutMs: s.requestTimeoutMs,
      maxRetryMs: s.maxBackoffMs,
      unit: 'samples',
      counters: this.#tally.send,
      scheduler: this.#scheduler,
      random: options.random ?? Math.random,
    });
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  get counters(): PushCounters {
    return this.#tally.snapshot();
  }

  /** The target of the last cycle (for stats and tests). */
  get lastTarget(): PushTarget | undefined {
    return this.#lastTarget;
  }

  /** Starts the loop; the first cycle runs at once. */
  start(): void {
    if (this.#state !== 'new') throw new Error('an IngestPusher runs once; create a new one');
    this.#state = 'running';
    this.#sender.arm(0, () => this.#loop());
  }

  /** Stops the loop, aborting a request in flight, and waits until the loop has exited. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#sender.disarm();
    this.#abort.abort();
    await this.#sender.idle();
  }

  /**
   * Pushes everything now (after a cycle in flight), without changing the schedule and
   * ignoring the backoff, but not a server's `Retry-After`. Resolves by `deadlineMs` at the
   * latest, whatever the server does; never rejects.
   */
  async flush(deadlineMs = Number.POSITIVE_INFINITY): Promise<PushFlushResult> {
    if (this.#state !== 'running') return { delivered: false, reason: 'push not running' };
    const deadline = new AbortController();
    const timer = Number.isFinite(deadlineMs)
      ? this.#scheduler.setTimeout(() => deadline.abort(), deadlineMs)
      : undefined;
    const expired = new Promise<undefined>((resolve) =>
      deadline.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    const signal = AbortSignal.any([this.#abort.signal, deadline.signal]);
    const work = this.#sender.run(() => this.#flushNow(signal));
    try {
      const outcome = await Promise.race([work.catch(asFailure), expired]);
      if (outcome === undefined)
        return { delivered: false, reason: `deadline of ${deadlineMs} ms passed` };
      return outcome.kind === 'done'
        ? { delivered: true }
        : { delivered: false, reason: describe(outcome) };
    } finally {
      this.#scheduler.clearTimeout(timer);
      // A flush still queued behind a cycle must not start after its deadline.
      deadline.abort();
    }
  }

  async #flushNow(signal: AbortSignal): Promise<DrainOutcome> {
    if (this.#state !== 'running') return { kind: 'blocked', why: 'push not running' };
    const target = await this.#target(signal);
    if (target.url === undefined) return { kind: 'blocked', why: target.skipped ?? 'no target' };
    return this.#drain(target.url, 'retry-after', target.intervalMs, signal);
  }

  /** One cycle, then the next one armed. */
  async #loop(): Promise<void> {
    let next: number;
    try {
      next = await this.#cycle();
    } catch (error) {
      // A bug, not a push failure: report it and keep the loop alive at the slow pace.
      diag.error('netbird-otel-metrics: push cycle failed', error);
      next = this.#settings.noConfigRetryMs;
    }
    if (this.#state === 'running') this.#sender.arm(next, () => this.#loop());
  }

  /** One cycle; returns the delay until the next. */
  async #cycle(): Promise<number> {
    const signal = this.#abort.signal;
    const target = await this.#target(signal);
    if (target.url === undefined) {
      this.#tally.cyclesSkipped++;
      diag.debug(`netbird-otel-metrics: push skipped: ${target.skipped}`);
      return target.intervalMs;
    }
    // The schedule below already waits for the backoff and Retry-After.
    const outcome = await this.#drain(target.url, 'none', target.intervalMs, signal);
    if (outcome.kind === 'blocked') {
      this.#tally.cyclesSkipped++;
      diag.debug(`netbird-otel-metrics: push waiting: ${outcome.why}`);
    }
    return outcome.kind === 'retry' ? outcome.delayMs : target.intervalMs;
  }

  #drain(
    url: string,
    waits: 'none' | 'retry-after',
    intervalMs: number,
    signal: AbortSignal,
  ): Promise<DrainOutcome> {
    return this.#sender.drain({
      label: `push to ${url}`,
      baseDelayMs: intervalMs,
      waits,
      signal,
      blocked: () => (this.#agent().peerId === '' ? 'own peer id not known yet' : undefined),
      send: (body, requestSignal) =>
        this.#transport(url, body, {
          headers: { [PEER_ID_HEADER]: this.#agent().peerId },
          signal: requestSignal,
          now: () => this.#scheduler.now(),
        }),
    });
  }

  async #target(signal: AbortSignal): Promise<PushTarget> {
    const config = this.#settings.forceSending ? undefined : await this.#remoteConfig.get(signal);
    const target = resolvePushTarget(this.#settings, config, this.#agent().version);
    this.#lastTarget = target;
    return target;
  }
}

function asFailure(error: unknown): DrainOutcome {
  diag.error('netbird-otel-metrics: push flush failed', error);
  return { kind: 'blocked', why: error instanceof Error ? error.message : String(error) };
}

function describe(outcome: Exclude<DrainOutcome, { kind: 'done' }>): string {
  switch (outcome.kind) {
    case 'blocked':
      return outcome.why;
    case 'waiting':
      return 'the server asked to retry later (Retry-After)';
    case 'rejected':
    case 'retry':
      return outcome.message;
    case 'aborted':
      return 'push stopped';
  }
}

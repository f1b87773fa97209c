import { diag } from '@opentelemetry/api';
import { retryDelay } from '../../protocol/http-retry.js';
import { PEER_ID_HEADER } from '../../protocol/peer-id.js';
import { postLineProtocol } from '../send/http-transport.js';
import type { PushSettings } from './push-settings.js';
import { type PushTarget, resolvePushTarget } from './push-target.js';
import { RemoteConfigManager, type RemoteConfigSource } from './remote-config.js';
import type { SampleStore } from './sample-store.js';

/**
 * The NetBird push loop (reference §3.3–3.5, DESIGN decision 4). One instance is one run:
 * `start()` once, `stop()` once; a restart creates a new pusher (and so a fresh remote-config
 * cache, as the reference does).
 *
 * Each cycle resolves the target (remote config, version range, overrides), then sends the
 * store's oldest samples in bounded batches, one request after another:
 * - 2xx acknowledges exactly the samples sent (samples recorded meanwhile stay);
 * - 408, 429, 5xx, network errors and timeouts keep the batch and end the cycle; the next
 *   cycle comes after an exponential backoff with jitter, at least the interval and at least
 *   the server's `Retry-After`, at most `maxBackoffMs`;
 * - any other 4xx drops that batch (counted) and ends the cycle, so a misconfigured server
 *   costs one batch per interval rather than the whole store at once.
 * Nothing is sent while the own peer id is unknown: `X-Peer-ID` is required by the ingest.
 */

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

export function newPushCounters(): PushCounters {
  return {
    requests: 0,
    samplesSent: 0,
    samplesDroppedByServer: 0,
    retries: 0,
    failures: 0,
    cyclesSkipped: 0,
    lastStatus: undefined,
    lastError: undefined,
  };
}

export interface PushAgent {
  readonly version: string;
  /** Empty while unknown. */
  readonly peerId: string;
}

export interface InfluxPusherOptions {
  store: SampleStore;
  settings: PushSettings;
  /** Read at every request, so updates to version and peer id apply at once. */
  agent: () => PushAgent;
  /** Shared across restarts; a fresh set by default. */
  counters?: PushCounters;
  /** Default: a new manager for `settings.configUrl`. */
  remoteConfig?: RemoteConfigSource;
  random?: () => number;
  now?: () => number;
}

type PushOutcome =
  | { kind: 'done' }
  | { kind: 'waiting'; why: string }
  | { kind: 'rejected' }
  | { kind: 'retry'; retryAfterMs?: number }
  | { kind: 'aborted' };

/** setTimeout's limit; a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class InfluxPusher {
  readonly counters: PushCounters;
  readonly #store: SampleStore;
  readonly #settings: PushSettings;
  readonly #agent: () => PushAgent;
  readonly #remoteConfig: RemoteConfigSource;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #state: 'new' | 'running' | 'stopped' = 'new';
  #timer: NodeJS.Timeout | undefined;
  /** Cycles and flushes run one at a time, in order. */
  #chain: Promise<unknown> = Promise.resolve();
  #consecutiveFailures = 0;
  /** The server's `Retry-After`: no request before this time. */
  #notBefore = 0;
  #lastTarget: PushTarget | undefined;

  constructor(options: InfluxPusherOptions) {
    this.#store = options.store;
    this.#settings = options.settings;
    this.#agent = options.agent;
    this.counters = options.counters ?? newPushCounters();
    this.#remoteConfig =
      options.remoteConfig ??
      new RemoteConfigManager({
        url: options.settings.configUrl,
        refreshMs: options.settings.configRefreshMs,
      });
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** The target of the last cycle (for stats and tests). */
  get lastTarget(): PushTarget | undefined {
    return this.#lastTarget;
  }

  /** Starts the loop; the first cycle runs at once. */
  start(): void {
    if (this.#state !== 'new') throw new Error('an InfluxPusher runs once; create a new one');
    this.#state = 'running';
    this.#arm(0);
  }

  /** Stops the loop, aborting a request in flight, and waits until the loop has exited. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#chain;
  }

  /**
   * Pushes everything now (after a cycle in flight), without changing the schedule. Honours a
   * pending `Retry-After`. `signal` bounds the time spent (shutdown's deadline).
   */
  flush(signal?: AbortSignal): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#state !== 'running') return;
      const combined = signal ? AbortSignal.any([this.#abort.signal, signal]) : this.#abort.signal;
      const target = await this.#target(combined);
      if (target.url === undefined || this.#now() < this.#notBefore) return;
      await this.#pushAll(target.url, combined);
    });
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => {});
    return run;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#exclusive(() => this.#cycle()).then(
          (next) => {
            if (this.#state === 'running') this.#arm(next);
          },
          (error: unknown) => {
            // A bug, not a push failure: report it and keep the loop alive at the slow pace.
            diag.error('netbird-otel-metrics: push cycle failed', error);
            if (this.#state === 'running') this.#arm(this.#settings.noConfigRetryMs);
          },
        );
      },
      Math.min(Math.max(delayMs, 0), MAX_TIMER_MS),
    );
    // The push must never keep the process alive.
    this.#timer.unref();
  }

  /** One cycle; returns the delay until the next. */
  async #cycle(): Promise<number> {
    const signal = this.#abort.signal;
    const target = await this.#target(signal);
    if (target.url === undefined) {
      this.counters.cyclesSkipped++;
      diag.debug(`netbird-otel-metrics: push skipped: ${target.skipped}`);
      return target.intervalMs;
    }
    const outcome = await this.#pushAll(target.url, signal);
    if (outcome.kind === 'waiting') {
      this.counters.cyclesSkipped++;
      diag.debug(`netbird-otel-metrics: push waiting: ${outcome.why}`);
    }
    if (outcome.kind !== 'retry') {
      this.#consecutiveFailures = 0;
      return target.intervalMs;
    }
    this.#consecutiveFailures++;
    return retryDelay(
      this.#consecutiveFailures,
      target.intervalMs,
      this.#settings.maxBackoffMs,
      outcome.retryAfterMs,
      this.#random,
    );
  }

  async #target(signal: AbortSignal): Promise<PushTarget> {
    const config = this.#settings.forceSending ? undefined : await this.#remoteConfig.get(signal);
    const target = resolvePushTarget(this.#settings, config, this.#agent().version);
    this.#lastTarget = target;
    return target;
  }

  async #pushAll(url: string, signal: AbortSignal): Promise<PushOutcome> {
    const s = this.#settings;
    // Bounded even if samples arrive as fast as they are sent.
    const maxRequests = Math.ceil(this.#store.maxSamples / s.maxBatchSamples) + 1;
    for (let i = 0; i < maxRequests; i++) {
      if (signal.aborted) return { kind: 'aborted' };
      const peerId = this.#agent().peerId;
      if (peerId === '') return { kind: 'waiting', why: 'own peer id not known yet' };
      const batch = this.#store.takeBatch(s.maxBatchSamples, s.maxBatchBytes);
      if (batch === undefined) return { kind: 'done' };
      this.counters.requests++;
      const result = await postLineProtocol(url, batch.body, {
        headers: { [PEER_ID_HEADER]: peerId },
        timeoutMs: s.requestTimeoutMs,
        signal,
        now: this.#now,
      });
      this.counters.lastStatus = result.status;
      if (result.kind === 'success') {
        this.#store.acknowledge(batch);
        this.counters.samplesSent += batch.samples.length;
        continue;
      }
      if (signal.aborted && result.status === undefined) return { kind: 'aborted' };
      this.counters.failures++;
      this.counters.lastError = result.message;
      if (result.kind === 'reject') {
        this.counters.samplesDroppedByServer += this.#store.discard(batch);
        diag.warn(
          `netbird-otel-metrics: push to ${url} refused (${result.message}); dropped ${batch.samples.length} samples`,
        );
        return { kind: 'rejected' };
      }
      this.counters.retries++;
      if (result.retryAfterMs !== undefined) {
        const wait = Math.min(result.retryAfterMs, Math.max(s.maxBackoffMs, 0));
        this.#notBefore = this.#now() + wait;
      }
      diag.warn(
        `netbird-otel-metrics: push to ${url} failed (${result.message}); ${this.#store.size} samples kept for retry`,
      );
      return result.retryAfterMs !== undefined
        ? { kind: 'retry', retryAfterMs: result.retryAfterMs }
        : { kind: 'retry' };
    }
    return { kind: 'done' };
  }
}

// The push configuration NetBird serves at `NB_METRICS_CONFIG_URL`: where to push, which agent
// versions may push, and how often.
import { context, diag } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { type ParseResult, type PushConfig, parsePushConfig } from '../../protocol/push-config.js';
import { deadlineSignal } from '../send/deadline.js';
import { readCapped } from '../send/http-transport.js';
import { type Scheduler, systemScheduler } from '../send/scheduler.js';
import { fetchUnref } from '../send/unref-fetch.js';

export const DEFAULT_CONFIG_URL = 'https://ingest.netbird.io/config';
/** The last good config is reused without a request while younger than this. */
export const DEFAULT_CONFIG_REFRESH_MS = 30 * 60 * 1000;
export const CONFIG_TIMEOUT_MS = 10_000;
/** A longer body is a failed fetch; the rest is never read. */
export const MAX_CONFIG_BODY_BYTES = 4096;

/** The config as fetched; the document's shape and rules live in the protocol module. */
export type RemoteConfig = PushConfig;

/** Where the push loop gets its config; the manager below, or a stand-in in tests. */
export interface RemoteConfigSource {
  get(signal?: AbortSignal): Promise<RemoteConfig | undefined>;
}

export interface RemoteConfigManagerOptions {
  url: string;
  refreshMs?: number;
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** Clock for the refresh window and timer for the fetch timeout. */
  scheduler?: Scheduler;
}

export interface RemoteConfigStats {
  fetches: number;
  failures: number;
  lastError?: string;
}

/**
 * Fetches and caches the config. Every fetch *attempt* restarts the refresh window, so once a
 * config is cached a failing server is asked at most once per window while the stale config
 * keeps being used; with nothing cached every call asks.
 */
export class RemoteConfigManager implements RemoteConfigSource {
  readonly url: string;
  readonly #refreshMs: number;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #scheduler: Scheduler;
  #cached: RemoteConfig | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  readonly #stats: RemoteConfigStats = { fetches: 0, failures: 0 };

  constructor(options: RemoteConfigManagerOptions) {
    this.url = options.url;
    this.#refreshMs = options.refreshMs ?? DEFAULT_CONFIG_REFRESH_MS;
    this.#timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
    this.#maxBodyBytes = options.maxBodyBytes ?? MAX_CONFIG_BODY_BYTES;
    this.#scheduler = options.scheduler ?? systemScheduler;
  }

  get stats(): Readonly<RemoteConfigStats> {
    return { ...this.#stats };
  }

  async get(signal?: AbortSignal): Promise<RemoteConfig | undefined> {
    if (this.#cached !== undefined && this.#scheduler.now() - this.#lastAttempt < this.#refreshMs) {
      return this.#cached;
    }
    this.#lastAttempt = this.#scheduler.now();
    this.#stats.fetches++;
    const result = await this.#fetch(signal);
    if (result.ok) {
      this.#cached = result.value;
      return this.#cached;
    }
    this.#stats.failures++;
    this.#stats.lastError = result.error;
    diag.warn(`netbird-otel-metrics: push config from ${this.url} not usable: ${result.error}`);
    return this.#cached;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<ParseResult<RemoteConfig>> {
    const deadline = deadlineSignal(this.#scheduler, this.#timeoutMs, signal);
    try {
      const response = await context.with(suppressTracing(context.active()), () =>
        fetchUnref(this.url, { signal: deadline.signal, redirect: 'follow' }),
      );
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, error: `HTTP ${response.status}` };
      }
      const body = await readCapped(response, this.#maxBodyBytes);
      if (body.truncated) {
        return { ok: false, error: `body longer than ${this.#maxBodyBytes} bytes` };
      }
      return parsePushConfig(body.text);
    } catch (error) {
      const reason: unknown = deadline.signal.reason;
      if (reason instanceof Error && reason.name === 'TimeoutError') {
        return { ok: false, error: 'request timed out' };
      }
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      deadline.dispose();
    }
  }
}

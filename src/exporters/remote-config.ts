import { context, diag } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { isGoVersion } from '../version-range.js';
import { readCapped } from './http-transport.js';

/**
 * The push configuration NetBird serves at `NB_METRICS_CONFIG_URL` (reference §4): where to
 * push, which agent versions may push, and how often.
 */

export const DEFAULT_CONFIG_URL = 'https://ingest.netbird.io/config';
/** The last good config is reused without a request while younger than this. */
export const DEFAULT_CONFIG_REFRESH_MS = 30 * 60 * 1000;
export const CONFIG_TIMEOUT_MS = 10_000;
/** A longer body is a failed fetch; the rest is never read. */
export const MAX_CONFIG_BODY_BYTES = 4096;

export interface RemoteConfig {
  readonly serverUrl: string;
  /** Inclusive lower bound (go-version syntax). */
  readonly versionSince: string;
  /** Exclusive upper bound. */
  readonly versionUntil: string;
  readonly intervalMs: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Pure: the JSON text of a config answer → the config, or why it is not one. */
export function parseRemoteConfig(text: string): ParseResult<RemoteConfig> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'body is not a JSON object' };
  }
  const o = json as Record<string, unknown>;
  const serverUrl = o.server_url;
  if (typeof serverUrl !== 'string' || serverUrl === '') {
    return { ok: false, error: 'server_url must be a non-empty string' };
  }
  if (!isHttpUrl(serverUrl)) {
    return { ok: false, error: `server_url is not an http(s) URL: ${JSON.stringify(serverUrl)}` };
  }
  for (const key of ['version-since', 'version-until'] as const) {
    const v = o[key];
    if (typeof v !== 'string' || !isGoVersion(v)) {
      return { ok: false, error: `${key} must be a version, got ${JSON.stringify(v)}` };
    }
  }
  const minutes = o.period_minutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes <= 0) {
    return {
      ok: false,
      error: `period_minutes must be an integer > 0, got ${JSON.stringify(minutes)}`,
    };
  }
  return {
    ok: true,
    value: {
      serverUrl,
      versionSince: o['version-since'] as string,
      versionUntil: o['version-until'] as string,
      intervalMs: minutes * 60_000,
    },
  };
}

export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/** Where the push loop gets its config; the manager below, or a stand-in in tests. */
export interface RemoteConfigSource {
  get(signal?: AbortSignal): Promise<RemoteConfig | undefined>;
}

export interface RemoteConfigManagerOptions {
  url: string;
  refreshMs?: number;
  timeoutMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
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
  readonly #now: () => number;
  #cached: RemoteConfig | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  readonly #stats: RemoteConfigStats = { fetches: 0, failures: 0 };

  constructor(options: RemoteConfigManagerOptions) {
    this.url = options.url;
    this.#refreshMs = options.refreshMs ?? DEFAULT_CONFIG_REFRESH_MS;
    this.#timeoutMs = options.timeoutMs ?? CONFIG_TIMEOUT_MS;
    this.#maxBodyBytes = options.maxBodyBytes ?? MAX_CONFIG_BODY_BYTES;
    this.#now = options.now ?? Date.now;
  }

  get stats(): Readonly<RemoteConfigStats> {
    return { ...this.#stats };
  }

  async get(signal?: AbortSignal): Promise<RemoteConfig | undefined> {
    if (this.#cached !== undefined && this.#now() - this.#lastAttempt < this.#refreshMs) {
      return this.#cached;
    }
    this.#lastAttempt = this.#now();
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
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    try {
      const response = await context.with(suppressTracing(context.active()), () =>
        fetch(this.url, { signal: combined, redirect: 'follow' }),
      );
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel().catch(() => {});
        return { ok: false, error: `HTTP ${response.status}` };
      }
      const body = await readCapped(response, this.#maxBodyBytes);
      if (body.truncated) {
        return { ok: false, error: `body longer than ${this.#maxBodyBytes} bytes` };
      }
      return parseRemoteConfig(body.text);
    } catch (error) {
      if (timeout.aborted) return { ok: false, error: 'request timed out' };
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

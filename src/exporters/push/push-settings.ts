import { type Env, envValue, type Resolved } from '../../config/env.js';
import { parseGoBool, parseGoDuration } from '../../config/go-syntax.js';
import { isHttpUrl } from '../../protocol/push-config.js';
import { DEFAULT_CONFIG_REFRESH_MS, DEFAULT_CONFIG_URL } from './remote-config.js';

/**
 * Settings of the NetBird push (reference §3.1): programmatic options win over the
 * `NB_METRICS_*` variables, which win over the defaults. Values use Go's syntax (`ParseBool`,
 * `time.ParseDuration`) so a NetBird deployment's environment means the same here. Unlike the
 * reference, an invalid value is an error naming the variable, never silently ignored.
 */

export const PUSH_ENV = {
  enabled: 'NB_METRICS_PUSH_ENABLED',
  forceSending: 'NB_METRICS_FORCE_SENDING',
  configUrl: 'NB_METRICS_CONFIG_URL',
  serverUrl: 'NB_METRICS_SERVER_URL',
  interval: 'NB_METRICS_INTERVAL',
} as const;

/** Force-sending defaults (reference §3.2). */
export const FORCE_SENDING_SERVER_URL = 'https://ingest.netbird.io';
export const DEFAULT_PUSH_INTERVAL_MS = 5 * 60 * 1000;

export const PUSH_DEFAULTS = {
  requestTimeoutMs: 10_000,
  /** InfluxData's batch advice: at most 5000 lines per write. */
  maxBatchSamples: 5000,
  /** Uncompressed line protocol per request; far below the ingest's 50 MiB. */
  maxBatchBytes: 1024 * 1024,
  maxBackoffMs: 60 * 60 * 1000,
  configRefreshMs: DEFAULT_CONFIG_REFRESH_MS,
  /** Next attempt when no config could be fetched (reference §3.2). */
  noConfigRetryMs: DEFAULT_PUSH_INTERVAL_MS,
  shutdownTimeoutMs: 5000,
} as const;

export interface PushOptions {
  /** Start pushing at creation. `NB_METRICS_PUSH_ENABLED`; default false. */
  enabled?: boolean;
  /** Skip the remote config (no fetch, no version check). `NB_METRICS_FORCE_SENDING`. */
  forceSending?: boolean;
  /** `NB_METRICS_CONFIG_URL`; default `https://ingest.netbird.io/config`. */
  configUrl?: string;
  /** Push target, overriding the config's `server_url`. `NB_METRICS_SERVER_URL`. */
  serverUrl?: string;
  /** Push interval, overriding the config's `period_minutes`. `NB_METRICS_INTERVAL`. */
  intervalMs?: number;
  requestTimeoutMs?: number;
  maxBatchSamples?: number;
  maxBatchBytes?: number;
  /** Longest wait between retries after failures (and the cap on `Retry-After`). */
  maxBackoffMs?: number;
  configRefreshMs?: number;
  noConfigRetryMs?: number;
  /** How long `shutdown()` may spend on the final push. */
  shutdownTimeoutMs?: number;
}

export interface PushSettings {
  readonly enabled: boolean;
  /** `enabled` came from an option or a present variable: management cannot override it. */
  readonly enabledIsExplicit: boolean;
  readonly forceSending: boolean;
  readonly configUrl: string;
  readonly serverUrl: string | undefined;
  readonly intervalMs: number | undefined;
  readonly requestTimeoutMs: number;
  readonly maxBatchSamples: number;
  readonly maxBatchBytes: number;
  readonly maxBackoffMs: number;
  readonly configRefreshMs: number;
  readonly noConfigRetryMs: number;
  readonly shutdownTimeoutMs: number;
}

export function resolvePushSettings(env: Env, options: PushOptions = {}): Resolved<PushSettings> {
  const errors: string[] = [];

  const bool = (name: string, option: boolean | undefined): boolean | undefined => {
    if (option !== undefined) return option;
    const text = envValue(env, name);
    if (text === undefined) return undefined;
    const value = parseGoBool(text);
    if (value === undefined) {
      errors.push(
        `${name}=${JSON.stringify(text)}: expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False`,
      );
    }
    return value;
  };
  const url = (name: string, option: string | undefined, label: string): string | undefined => {
    const text = option ?? envValue(env, name);
    if (text === undefined) return undefined;
    if (!isHttpUrl(text)) {
      const source = option !== undefined ? `option ${label}` : name;
      errors.push(`${source}=${JSON.stringify(text)}: expected an absolute http or https URL`);
      return undefined;
    }
    return text;
  };

  const enabled = bool(PUSH_ENV.enabled, options.enabled);
  const forceSending = bool(PUSH_ENV.forceSending, options.forceSending) ?? false;
  const configUrl = url(PUSH_ENV.configUrl, options.configUrl, 'push.configUrl');
  const serverUrl = url(PUSH_ENV.serverUrl, options.serverUrl, 'push.serverUrl');

  let intervalMs = options.intervalMs;
  if (intervalMs !== undefined) {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
      errors.push(`option push.intervalMs=${intervalMs}: expected a number of milliseconds > 0`);
    }
  } else {
    const text = envValue(env, PUSH_ENV.interval);
    if (text !== undefined) {
      intervalMs = parseGoDuration(text);
      if (intervalMs === undefined || intervalMs <= 0) {
        errors.push(
          `${PUSH_ENV.interval}=${JSON.stringify(text)}: expected a positive Go duration such as 30s, 5m or 1h30m`,
        );
        intervalMs = undefined;
      }
    }
  }

  const positive = (key: keyof typeof PUSH_DEFAULTS): number => {
    const value = options[key] ?? PUSH_DEFAULTS[key];
    if (!(Number.isFinite(value) && value > 0)) {
      errors.push(`option push.${key}=${value}: expected a number > 0`);
    }
    return value;
  };
  const settings: PushSettings = {
    enabled: enabled ?? false,
    // Presence is what counts, even with an empty value (reference §3.1, DESIGN decision 11):
    // an operator who set the variable at all has taken the decision away from management.
    enabledIsExplicit: enabled !== undefined || env[PUSH_ENV.enabled] !== undefined,
    forceSending,
    configUrl: configUrl ?? DEFAULT_CONFIG_URL,
    serverUrl,
    intervalMs,
    requestTimeoutMs: positive('requestTimeoutMs'),
    maxBatchSamples: positive('maxBatchSamples'),
    maxBatchBytes: positive('maxBatchBytes'),
    maxBackoffMs: positive('maxBackoffMs'),
    configRefreshMs: positive('configRefreshMs'),
    noConfigRetryMs: positive('noConfigRetryMs'),
    shutdownTimeoutMs: positive('shutdownTimeoutMs'),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: settings };
}

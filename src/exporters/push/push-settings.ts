import type { Resolved } from '../../config/config-error.js';
import { type Env, envPresent } from '../../config/env.js';
import { envNames, type OptionSpec, resolveSetting } from '../../config/option-table.js';
import { Problems } from '../../config/problems.js';
import { goBool, goDuration, httpUrl, isHttpUrl } from '../../config/value-kinds.js';
import { DEFAULT_CONFIG_REFRESH_MS, DEFAULT_CONFIG_URL } from './remote-config.js';

/** Force-sending defaults of NetBird's Go client, so both send to the same place as often. */
export const FORCE_SENDING_SERVER_URL = 'https://ingest.netbird.io';
export const DEFAULT_PUSH_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The `NB_METRICS_*` variables of the NetBird push. NetBird's Go client defines them, so their
 * values use Go's syntax (`strconv.ParseBool`, `time.ParseDuration`) and mean the same here.
 */
export const PUSH_VARIABLES = {
  enabled: {
    env: 'NB_METRICS_PUSH_ENABLED',
    option: 'push.enabled',
    kind: goBool,
    default: false,
    help: "Start pushing at creation. Set at all (even empty), it overrides management's per-account toggle.",
  },
  forceSending: {
    env: 'NB_METRICS_FORCE_SENDING',
    option: 'push.forceSending',
    kind: goBool,
    default: false,
    help: `Skip the remote config (no fetch, no version check); push to ${FORCE_SENDING_SERVER_URL} every 5m unless NB_METRICS_SERVER_URL or NB_METRICS_INTERVAL say otherwise.`,
  },
  configUrl: {
    env: 'NB_METRICS_CONFIG_URL',
    option: 'push.configUrl',
    kind: httpUrl(),
    default: DEFAULT_CONFIG_URL,
    help: 'Where the remote config (push target, interval, version range) is fetched.',
  },
  serverUrl: {
    env: 'NB_METRICS_SERVER_URL',
    option: 'push.serverUrl',
    kind: httpUrl(),
    default: undefined,
    defaultText: "the remote config's server_url",
    help: 'Push target, overriding the remote config.',
  },
  interval: {
    env: 'NB_METRICS_INTERVAL',
    option: 'push.intervalMs',
    kind: goDuration,
    default: undefined,
    defaultText: "the remote config's period_minutes",
    help: 'Push interval, overriding the remote config.',
  },
} satisfies Readonly<Record<string, OptionSpec<unknown>>>;

export const PUSH_ENV = envNames(PUSH_VARIABLES);

export const PUSH_DEFAULTS = {
  requestTimeoutMs: 10_000,
  /** InfluxData's batch advice: at most 5000 lines per write. */
  maxBatchSamples: 5000,
  /** Uncompressed line protocol per request; far below the ingest's 50 MiB. */
  maxBatchBytes: 1024 * 1024,
  maxBackoffMs: 60 * 60 * 1000,
  configRefreshMs: DEFAULT_CONFIG_REFRESH_MS,
  /** Next attempt when no config could be fetched: the Go client's default interval. */
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

const positive = (value: number) => Number.isFinite(value) && value > 0;
const URL_EXPECTED = 'an absolute http or https URL';

/**
 * Programmatic options win over the variables, which win over the defaults. Unlike the Go
 * client, which logs a bad value and ignores it, every bad value is reported (the caller
 * decides whether that throws); the result's fallback is what ignoring them gives.
 */
export function resolvePushSettings(env: Env, options: PushOptions = {}): Resolved<PushSettings> {
  const problems = new Problems();
  const v = PUSH_VARIABLES;
  const code = <T>(name: keyof PushOptions, valid?: (value: T) => boolean, expected?: string) => ({
    name: `push.${name}`,
    value: options[name] as T | undefined,
    ...(valid ? { valid, expected } : {}),
  });
  const enabled = resolveSetting(problems, env, [v.enabled], undefined, code<boolean>('enabled'));
  const forceSending = resolveSetting(problems, env, [v.forceSending], false, code('forceSending'));
  const url = (name: 'configUrl' | 'serverUrl') => code<string>(name, isHttpUrl, URL_EXPECTED);
  const configUrl = resolveSetting(
    problems,
    env,
    [v.configUrl],
    DEFAULT_CONFIG_URL,
    url('configUrl'),
  );
  const serverUrl = resolveSetting(problems, env, [v.serverUrl], undefined, url('serverUrl'));
  const intervalMs = resolveSetting(
    problems,
    env,
    [v.interval],
    undefined,
    code('intervalMs', positive, 'a number of milliseconds > 0'),
  );

  const limit = (key: keyof typeof PUSH_DEFAULTS): number => {
    const value = options[key];
    if (value === undefined) return PUSH_DEFAULTS[key];
    if (positive(value)) return value;
    problems.refuseOption(`push.${key}`, value, 'a number > 0');
    problems.used([`option push.${key}`], PUSH_DEFAULTS[key], 'the default');
    return PUSH_DEFAULTS[key];
  };
  const settings: PushSettings = {
    enabled: enabled ?? false,
    // Presence is what counts, even with an empty value: an operator who set the variable at
    // all has taken the decision away from management.
    enabledIsExplicit: enabled !== undefined || envPresent(env, v.enabled.env),
    forceSending,
    configUrl,
    serverUrl,
    intervalMs,
    requestTimeoutMs: limit('requestTimeoutMs'),
    maxBatchSamples: limit('maxBatchSamples'),
    maxBatchBytes: limit('maxBatchBytes'),
    maxBackoffMs: limit('maxBackoffMs'),
    configRefreshMs: limit('configRefreshMs'),
    noConfigRetryMs: limit('noConfigRetryMs'),
    shutdownTimeoutMs: limit('shutdownTimeoutMs'),
  };
  return problems.result(settings);
}

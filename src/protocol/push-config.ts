import { isHttpUrl } from '../config/value-kinds.js';
import { isGoVersion } from './version-range.js';

/**
 * The `/config` document an ingest serves and clients fetch to learn where and how often to
 * push, and which agent versions may. One definition of its keys, read by the clients and
 * written by the ingest. Pure.
 */
export interface PushConfig {
  /** Where clients push; an http(s) URL. */
  readonly serverUrl: string;
  /** Inclusive lower bound of the agent versions that push (go-version syntax). */
  readonly versionSince: string;
  /** Exclusive upper bound. */
  readonly versionUntil: string;
  /** Push period in whole minutes, > 0. */
  readonly periodMinutes: number;
}

/** Wire key of each field, in the alphabetical order NetBird's own ingest serves them. */
const KEYS = {
  periodMinutes: 'period_minutes',
  serverUrl: 'server_url',
  versionSince: 'version-since',
  versionUntil: 'version-until',
} as const;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** The JSON text of a config answer → the config, or why it is not one. Unknown keys are ignored. */
export function parsePushConfig(text: string): ParseResult<PushConfig> {
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
  const serverUrl = o[KEYS.serverUrl];
  if (typeof serverUrl !== 'string' || serverUrl === '') {
    return { ok: false, error: `${KEYS.serverUrl} must be a non-empty string` };
  }
  if (!isHttpUrl(serverUrl)) {
    return {
      ok: false,
      error: `${KEYS.serverUrl} is not an http(s) URL: ${JSON.stringify(serverUrl)}`,
    };
  }
  const versionSince = o[KEYS.versionSince];
  const versionUntil = o[KEYS.versionUntil];
  for (const [key, v] of [
    [KEYS.versionSince, versionSince],
    [KEYS.versionUntil, versionUntil],
  ] as const) {
    if (typeof v !== 'string' || !isGoVersion(v)) {
      return { ok: false, error: `${key} must be a version, got ${JSON.stringify(v)}` };
    }
  }
  const periodMinutes = o[KEYS.periodMinutes];
  if (typeof periodMinutes !== 'number' || !Number.isInteger(periodMinutes) || periodMinutes <= 0) {
    return {
      ok: false,
      error: `${KEYS.periodMinutes} must be an integer > 0, got ${JSON.stringify(periodMinutes)}`,
    };
  }
  return {
    ok: true,
    value: {
      serverUrl,
      versionSince: versionSince as string,
      versionUntil: versionUntil as string,
      periodMinutes,
    },
  };
}

/** The document's JSON text. */
export function renderPushConfig(config: PushConfig): string {
  return JSON.stringify({
    [KEYS.periodMinutes]: config.periodMinutes,
    [KEYS.serverUrl]: config.serverUrl,
    [KEYS.versionSince]: config.versionSince,
    [KEYS.versionUntil]: config.versionUntil,
  });
}

/** The push period in milliseconds. */
export function pushIntervalMs(config: PushConfig): number {
  return config.periodMinutes * 60_000;
}

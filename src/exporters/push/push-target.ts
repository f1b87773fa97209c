import { pushIntervalMs } from '../../protocol/push-config.js';
import { isVersionInRange } from '../../protocol/version-range.js';
import { DEFAULT_PUSH_INTERVAL_MS, FORCE_SENDING_SERVER_URL } from './push-settings.js';
import type { RemoteConfig } from './remote-config.js';

export interface PushTargetSettings {
  readonly forceSending: boolean;
  readonly serverUrl: string | undefined;
  readonly intervalMs: number | undefined;
  readonly noConfigRetryMs?: number;
}

export type SkipReason = 'no config' | 'version out of range' | 'no server url';

export interface PushTarget {
  /** Absent when this cycle pushes nothing. */
  readonly url?: string;
  readonly intervalMs: number;
  readonly skipped?: SkipReason;
}

/**
 * Where and how often to push in one cycle, as NetBird's Go client decides it. Pure.
 *
 * - Force-sending: the override URL (or NetBird's ingest) and the override interval (or 5 min);
 *   the remote config is never consulted.
 * - No config: skip, next attempt after `noConfigRetryMs` (the interval override is not used).
 * - Otherwise the interval is the override or the config's; an agent version outside
 *   [`version-since`, `version-until`) skips the push but keeps that interval; the URL is the
 *   override or the config's `server_url`. Overrides never bypass the version check.
 */
export function resolvePushTarget(
  settings: PushTargetSettings,
  config: RemoteConfig | undefined,
  agentVersion: string,
): PushTarget {
  if (settings.forceSending) {
    return {
      url: settings.serverUrl ?? FORCE_SENDING_SERVER_URL,
      intervalMs: settings.intervalMs ?? DEFAULT_PUSH_INTERVAL_MS,
    };
  }
  if (config === undefined) {
    return {
      intervalMs: settings.noConfigRetryMs ?? DEFAULT_PUSH_INTERVAL_MS,
      skipped: 'no config',
    };
  }
  const intervalMs = settings.intervalMs ?? pushIntervalMs(config);
  if (!isVersionInRange(agentVersion, config.versionSince, config.versionUntil)) {
    return { intervalMs, skipped: 'version out of range' };
  }
  const url = settings.serverUrl ?? config.serverUrl;
  if (url === '') return { intervalMs, skipped: 'no server url' };
  return { url, intervalMs };
}

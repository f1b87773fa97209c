/**
 * The `/config` document clients fetch to learn where and how often to push (reference §4, §5.1).
 * Built once at startup; keys in alphabetical order as the reference serves them.
 */

export interface PushConfigSettings {
  /** Empty: `/config` answers 404 "config not configured". */
  readonly serverUrl: string;
  readonly versionSince: string;
  readonly versionUntil: string;
  readonly periodMinutes: number;
}

export function pushConfigBody(settings: PushConfigSettings): string | undefined {
  if (settings.serverUrl === '') return undefined;
  return JSON.stringify({
    period_minutes: settings.periodMinutes,
    server_url: settings.serverUrl,
    'version-since': settings.versionSince,
    'version-until': settings.versionUntil,
  });
}

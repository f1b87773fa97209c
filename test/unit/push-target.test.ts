import { describe, expect, it } from 'vitest';
import { resolvePushTarget } from '../../src/exporters/push/push-target.js';
import type { RemoteConfig } from '../../src/exporters/push/remote-config.js';

// The target rules of NetBird's Go client (its test cases by number), as a table over the
// pure resolution.

const MIN = 60_000;
const config = (
  since: string,
  until: string,
  url = 'https://ingest.example.com',
): RemoteConfig => ({
  serverUrl: url,
  versionSince: since,
  versionUntil: until,
  periodMinutes: 1,
});
const normal = { forceSending: false, serverUrl: undefined, intervalMs: undefined };

describe('resolvePushTarget', () => {
  it('#2 config in range → its URL and interval', () => {
    expect(resolvePushTarget(normal, config('1.0.0', '2.0.0'), '1.5.0')).toEqual({
      url: 'https://ingest.example.com',
      intervalMs: MIN,
    });
  });

  it('#3 version outside the range → no URL, the config interval kept', () => {
    expect(resolvePushTarget(normal, config('1.0.0', '1.5.0'), '2.0.0')).toEqual({
      intervalMs: MIN,
      skipped: 'version out of range',
    });
  });

  it('#4 no config → no URL, next attempt in 5 min', () => {
    expect(resolvePushTarget(normal, undefined, '1.5.0')).toEqual({
      intervalMs: 5 * MIN,
      skipped: 'no config',
    });
  });

  it('#5 overrides do not bypass the version check, but the interval override applies', () => {
    const s = {
      forceSending: false,
      serverUrl: 'https://override.example.com',
      intervalMs: 30_000,
    };
    expect(resolvePushTarget(s, config('1.0.0', '1.5.0'), '2.0.0')).toEqual({
      intervalMs: 30_000,
      skipped: 'version out of range',
    });
  });

  it('#6 interval override in range → URL and the override interval', () => {
    const s = { ...normal, intervalMs: 30_000 };
    expect(resolvePushTarget(s, config('1.0.0', '2.0.0'), '1.5.0')).toEqual({
      url: 'https://ingest.example.com',
      intervalMs: 30_000,
    });
  });

  it('#8 the URL comes from the config without an override', () => {
    const t = resolvePushTarget(
      normal,
      config('1.0.0', '2.0.0', 'https://from-config.example'),
      '1.0.0',
    );
    expect(t.url).toBe('https://from-config.example');
  });

  it('#9 the address override beats the config server URL', () => {
    const s = { ...normal, serverUrl: 'https://override.example.com' };
    expect(resolvePushTarget(s, config('1.0.0', '2.0.0'), '1.5.0').url).toBe(
      'https://override.example.com',
    );
  });

  it('#10 interval override without address override → config URL, override interval', () => {
    const s = { ...normal, intervalMs: 10_000 };
    expect(resolvePushTarget(s, config('1.0.0', '2.0.0'), '1.5.0')).toEqual({
      url: 'https://ingest.example.com',
      intervalMs: 10_000,
    });
  });

  it('#11 no config + interval override → no URL and 5 min (the override is ignored)', () => {
    const s = { ...normal, intervalMs: 30_000 };
    expect(resolvePushTarget(s, undefined, '1.5.0')).toEqual({
      intervalMs: 5 * MIN,
      skipped: 'no config',
    });
  });

  it('#12 force sending with interval and address, no config → both used', () => {
    const s = { forceSending: true, serverUrl: 'https://forced.example.com', intervalMs: MIN };
    expect(resolvePushTarget(s, undefined, '1.5.0')).toEqual({
      url: 'https://forced.example.com',
      intervalMs: MIN,
    });
  });

  it('#13 force sending without interval → 5 min, NetBird ingest by default, any version', () => {
    const s = { forceSending: true, serverUrl: undefined, intervalMs: undefined };
    expect(resolvePushTarget(s, config('1.0.0', '1.1.0'), 'development')).toEqual({
      url: 'https://ingest.netbird.io',
      intervalMs: 5 * MIN,
    });
  });

  it('keeps a development build out of every range without force sending', () => {
    expect(
      resolvePushTarget(normal, config('0.0.0', '999.0.0'), 'development').url,
    ).toBeUndefined();
  });

  it('uses the configured retry delay when no config is available', () => {
    const s = { ...normal, noConfigRetryMs: 123 };
    expect(resolvePushTarget(s, undefined, '1.0.0').intervalMs).toBe(123);
  });
});

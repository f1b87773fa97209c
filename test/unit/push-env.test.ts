import { describe, expect, it } from 'vitest';
import { ConfigError, unwrap } from '../../src/config/config-error.js';
import { parseGoBool, parseGoDuration } from '../../src/config/go-syntax.js';
import {
  PUSH_DEFAULTS,
  type PushSettings,
  resolvePushSettings,
} from '../../src/exporters/push/push-settings.js';
import { DEFAULT_CONFIG_URL } from '../../src/exporters/push/remote-config.js';

describe('parseGoBool (strconv.ParseBool)', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s is true', (text) => {
    expect(parseGoBool(text)).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s is false', (text) => {
    expect(parseGoBool(text)).toBe(false);
  });
  it.each(['', 'yes', 'no', 'on', 'tRUE', ' true', 'true ', '2'])('%j is not a bool', (text) => {
    expect(parseGoBool(text)).toBeUndefined();
  });
});

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2h45m30.5s', 9_930_500],
    ['300ms', 300],
    ['50ms', 50],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['.5s', 500],
    ['1.s', 1000],
    ['+5s', 5000],
    ['-1.5s', -1500],
    ['1h1h', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '5', '1d', '1 s', 's', '.s', '.', '-', '1.5.5s', '1sm', '10S', 'ms', ' 1s', '1e3s'])(
    '%j is an error',
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );

  it('refuses durations beyond an int64 of nanoseconds (about 292 years)', () => {
    expect(parseGoDuration('2562047h')).toBeCloseTo(2562047 * 3_600_000, 0);
    expect(parseGoDuration('2562048h')).toBeUndefined();
  });
});

function settings(env: Record<string, string>, options = {}): PushSettings {
  return unwrap(resolvePushSettings(env, options));
}

function errors(env: Record<string, string>, options = {}): string[] {
  const result = resolvePushSettings(env, options);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('resolvePushSettings (the NB_METRICS_* variables of the Go client)', () => {
  it("has the Go client's defaults: push off, remote config at ingest.netbird.io, no overrides", () => {
    const s = settings({});
    expect(s).toMatchObject({
      enabled: false,
      enabledIsExplicit: false,
      forceSending: false,
      configUrl: DEFAULT_CONFIG_URL,
      serverUrl: undefined,
      intervalMs: undefined,
      requestTimeoutMs: 10_000,
      maxBatchSamples: PUSH_DEFAULTS.maxBatchSamples,
    });
    expect(DEFAULT_CONFIG_URL).toBe('https://ingest.netbird.io/config');
  });

  it('reads every NB_METRICS_* variable', () => {
    const s = settings({
      NB_METRICS_PUSH_ENABLED: 'T',
      NB_METRICS_FORCE_SENDING: '1',
      NB_METRICS_CONFIG_URL: 'http://127.0.0.1:1/config',
      NB_METRICS_SERVER_URL: 'https://ingest.example.com/push',
      NB_METRICS_INTERVAL: '1m30s',
    });
    expect(s).toMatchObject({
      enabled: true,
      enabledIsExplicit: true,
      forceSending: true,
      configUrl: 'http://127.0.0.1:1/config',
      serverUrl: 'https://ingest.example.com/push',
      intervalMs: 90_000,
    });
  });

  it('lets programmatic options win over the environment', () => {
    const s = settings(
      {
        NB_METRICS_PUSH_ENABLED: 'true',
        NB_METRICS_SERVER_URL: 'https://env.example.com',
        NB_METRICS_INTERVAL: '1h',
      },
      { enabled: false, serverUrl: 'https://option.example.com', intervalMs: 1000 },
    );
    expect(s).toMatchObject({
      enabled: false,
      enabledIsExplicit: true,
      serverUrl: 'https://option.example.com',
      intervalMs: 1000,
    });
  });

  it('marks a present NB_METRICS_PUSH_ENABLED as explicit even when it says false', () => {
    expect(settings({ NB_METRICS_PUSH_ENABLED: 'false' })).toMatchObject({
      enabled: false,
      enabledIsExplicit: true,
    });
  });

  it('treats an empty variable as unset, but an empty NB_METRICS_PUSH_ENABLED is still present', () => {
    const s = settings({
      NB_METRICS_PUSH_ENABLED: '',
      NB_METRICS_SERVER_URL: '',
      NB_METRICS_INTERVAL: '',
    });
    // Presence takes the toggle from management, even empty; empty means off.
    expect(s).toMatchObject({ enabled: false, enabledIsExplicit: true, serverUrl: undefined });
    expect(settings({})).toMatchObject({ enabled: false, enabledIsExplicit: false });
  });

  it('names the variable of every invalid value and reports them all at once', () => {
    const problems = errors({
      NB_METRICS_PUSH_ENABLED: 'yes',
      NB_METRICS_FORCE_SENDING: 'on',
      NB_METRICS_SERVER_URL: 'ingest.example.com',
      NB_METRICS_CONFIG_URL: 'ftp://example.com/config',
      NB_METRICS_INTERVAL: '5',
    });
    expect(problems).toHaveLength(5);
    for (const name of [
      'NB_METRICS_PUSH_ENABLED="yes"',
      'NB_METRICS_FORCE_SENDING="on"',
      'NB_METRICS_SERVER_URL="ingest.example.com"',
      'NB_METRICS_CONFIG_URL="ftp://example.com/config"',
      'NB_METRICS_INTERVAL="5"',
    ]) {
      expect(
        problems.some((p) => p.startsWith(name)),
        name,
      ).toBe(true);
    }
  });

  it.each(['0s', '-30s', '0'])('refuses a non-positive interval %s', (text) => {
    expect(errors({ NB_METRICS_INTERVAL: text })[0]).toContain('NB_METRICS_INTERVAL');
  });

  it.each(['/relative', 'http://', 'mailto:a@b.c', 'not a url'])(
    'refuses NB_METRICS_SERVER_URL=%s (absolute http or https only)',
    (text) => {
      expect(errors({ NB_METRICS_SERVER_URL: text })[0]).toContain('absolute http or https URL');
    },
  );

  it('names the option when a programmatic value is invalid', () => {
    expect(errors({}, { intervalMs: 0 })[0]).toContain('push.intervalMs');
    expect(errors({}, { serverUrl: 'x' })[0]).toContain('push.serverUrl');
    expect(errors({}, { maxBatchSamples: -1 })[0]).toContain('push.maxBatchSamples');
  });

  it('throws a ConfigError listing the problems through unwrap', () => {
    expect(() => settings({ NB_METRICS_INTERVAL: 'soon' })).toThrow(ConfigError);
    expect(() => settings({ NB_METRICS_INTERVAL: 'soon' })).toThrow(/NB_METRICS_INTERVAL="soon"/);
  });
});

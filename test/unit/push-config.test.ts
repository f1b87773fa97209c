import { describe, expect, it } from 'vitest';
import {
  parsePushConfig,
  pushIntervalMs,
  renderPushConfig,
} from '../../src/protocol/push-config.js';

const GOOD = {
  server_url: 'https://ingest.example.com/push',
  'version-since': '0.50.0',
  'version-until': '1.0.0',
  period_minutes: 60,
};

describe('parsePushConfig', () => {
  const parse = (o: unknown) => parsePushConfig(JSON.stringify(o));

  it('ignores unknown keys', () => {
    expect(parse({ ...GOOD, extra: true }).ok).toBe(true);
  });

  it.each([
    ['server_url', { ...GOOD, server_url: undefined }],
    ['server_url', { ...GOOD, server_url: 42 }],
    ['server_url', { ...GOOD, server_url: 'not a url' }],
    ['version-since', { ...GOOD, 'version-since': undefined }],
    ['version-since', { ...GOOD, 'version-since': 'development' }],
    ['version-until', { ...GOOD, 'version-until': '' }],
    ['period_minutes', { ...GOOD, period_minutes: 1.5 }],
    ['period_minutes', { ...GOOD, period_minutes: '60' }],
    ['period_minutes', { ...GOOD, period_minutes: undefined }],
  ])('refuses a bad %s', (key, body) => {
    const result = parse(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(key);
  });

  it('refuses JSON that is not an object', () => {
    expect(parsePushConfig('[1]').ok).toBe(false);
    expect(parsePushConfig('null').ok).toBe(false);
  });
});

describe('renderPushConfig', () => {
  it('writes the keys NetBird serves, in alphabetical order, and parses back to the same config', () => {
    const config = {
      serverUrl: 'https://m.example/',
      versionSince: '0.60.0',
      versionUntil: '1.0.0',
      periodMinutes: 10,
    };
    const body = renderPushConfig(config);
    expect(parsePushConfig(body)).toEqual({ ok: true, value: config });
    expect(body).toBe(
      '{"period_minutes":10,"server_url":"https://m.example/","version-since":"0.60.0","version-until":"1.0.0"}',
    );
  });
});

describe('pushIntervalMs', () => {
  it('is the period in milliseconds', () => {
    const parsed = parsePushConfig(JSON.stringify(GOOD));
    expect(parsed.ok && pushIntervalMs(parsed.value)).toBe(60 * 60_000);
  });
});

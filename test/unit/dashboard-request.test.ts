import { describe, expect, it } from 'vitest';
import { MAX_TIME_MS, parseDashboardRequest } from '../../src/ingest/dashboard/request.js';

const NOW = 1_700_000_000_000;
const parse = (target: string) => parseDashboardRequest(target, '/dashboard', NOW, '1h');

describe('parseDashboardRequest', () => {
  it('reads presets and explicit ranges, with a key shared by identical requests', () => {
    expect(parse('/dashboard')).toEqual({
      kind: 'ok',
      json: false,
      range: { from: NOW - 3_600_000, to: NOW },
      rangeKey: '1h',
      cacheKey: 'range:1h',
    });
    expect(parse('/dashboard/data.json?range=15m')).toMatchObject({
      kind: 'ok',
      json: true,
      cacheKey: 'range:15m',
    });
    expect(parse(`/dashboard/?from=${NOW - 10}&to=${NOW}`)).toMatchObject({
      kind: 'ok',
      range: { from: NOW - 10, to: NOW },
      rangeKey: 'custom',
      cacheKey: `from:${NOW - 10}:to:${NOW}`,
    });
    // Absolute-form targets name the same resource.
    expect(parse('http://ingest.example/dashboard?range=6h')).toMatchObject({
      kind: 'ok',
      rangeKey: '6h',
    });
  });

  it('leaves other paths to other routes', () => {
    for (const target of ['/', '/dashboardx', '/dashboard/other', '/write?db=x', 'http://[/x'])
      expect(parse(target), target).toEqual({ kind: 'not-mine' });
  });

  it('answers absurd, malformed and repeated parameters as bad requests', () => {
    const bad = [
      '/dashboard?from=1e300',
      '/dashboard?from=1e300&to=1e300',
      `/dashboard?from=0&to=${MAX_TIME_MS + 1}`,
      `/dashboard?from=${MAX_TIME_MS + 1}`,
      '/dashboard?from=-5&to=0',
      '/dashboard?from=0x10&to=20',
      '/dashboard?from=&to=5',
      '/dashboard?from=1.5&to=5',
      '/dashboard?from=Infinity',
      '/dashboard?to=5',
      '/dashboard?from=5&to=1',
      '/dashboard?range=1h&range=6h',
      '/dashboard?from=1&from=2&to=3',
      '/dashboard?range=3y',
      `/dashboard/data.json?range=${'x'.repeat(10_000)}`,
      'http://[/dashboard',
      'http://[/dashboard/data.json',
    ];
    for (const target of bad) {
      const r = parse(target);
      expect(r.kind, target).toBe('bad');
      if (r.kind === 'bad') expect(r.message.length, target).toBeLessThan(200);
    }
    expect(parse('http://[/dashboard/data.json')).toMatchObject({ json: true });
    expect(parse('/dashboard?range=1h&range=6h')).toMatchObject({
      message: 'parameter range is given 2 times',
    });
  });

  it('accepts the whole range InfluxDB can store', () => {
    expect(parse(`/dashboard?from=${MAX_TIME_MS - 1000}&to=${MAX_TIME_MS}`)).toMatchObject({
      kind: 'ok',
    });
    expect(new Date(MAX_TIME_MS).toISOString()).toBe('2262-04-11T23:47:16.854Z');
  });
});

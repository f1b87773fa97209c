import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FILTER_TAGS, MAX_FILTER_VALUE_LENGTH } from '../../src/ingest/dashboard/filters.js';
import {
  createDashboardHandler,
  type DashboardHandler,
} from '../../src/ingest/dashboard/handler.js';
import { computePanels, DEFAULT_PANEL_LIMITS } from '../../src/ingest/dashboard/panels.js';
import { MAX_TIME_MS, parseDashboardRequest } from '../../src/ingest/dashboard/request.js';
import type { DashboardSource } from '../../src/ingest/dashboard/source.js';

const NOW = 1_700_000_000_000;
const parse = (target: string) => parseDashboardRequest(target, '/dashboard', NOW, '1h');

describe('parseDashboardRequest', () => {
  it('reads presets and explicit ranges, with a key shared by identical requests', () => {
    expect(parse('/dashboard')).toEqual({
      kind: 'ok',
      json: false,
      range: { from: NOW - 3_600_000, to: NOW },
      rangeKey: '1h',
      fit: true,
      filters: {},
      cacheKey: 'fit:1h|',
    });
    expect(parse('/dashboard/data.json?range=15m')).toMatchObject({
      kind: 'ok',
      json: true,
      fit: false,
      cacheKey: 'range:15m|',
    });
    expect(parse(`/dashboard/?from=${NOW - 10}&to=${NOW}`)).toMatchObject({
      kind: 'ok',
      range: { from: NOW - 10, to: NOW },
      rangeKey: 'custom',
      fit: false,
      cacheKey: `from:${NOW - 10}:to:${NOW}|`,
    });
    expect(parse(`/dashboard/?from=${NOW - 10}`)).toMatchObject({ fit: false });
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

describe('filter parameters', () => {
  it('are read one per tag, in any order, into one cache key per set of filters', () => {
    const all = parse(
      '/dashboard/data.json?os=ios&connection_type=relay&version=0.61.0&deployment_type=cloud&attempt_type=initial&arch=arm64&range=6h',
    );
    expect(all).toMatchObject({
      kind: 'ok',
      fit: false,
      filters: {
        connection_type: 'relay',
        attempt_type: 'initial',
        os: 'ios',
        arch: 'arm64',
        version: '0.61.0',
        deployment_type: 'cloud',
      },
      cacheKey:
        'range:6h|connection_type=relay&attempt_type=initial&os=ios&arch=arm64&version=0.61.0&deployment_type=cloud',
    });
    const a = parse('/dashboard?os=ios&version=0.61.0');
    const b = parse('/dashboard?version=0.61.0&os=ios');
    expect(a.kind === 'ok' && b.kind === 'ok' && a.cacheKey === b.cacheKey).toBe(true);
    // A filter is part of the key: a filtered view never answers an unfiltered one.
    expect(parse('/dashboard?os=ios')).toMatchObject({ fit: true, cacheKey: 'fit:1h|os=ios' });
    expect(parse('/dashboard?os=mac%20os%26x')).toMatchObject({
      filters: { os: 'mac os&x' },
      cacheKey: 'fit:1h|os=mac%20os%26x',
    });
  });

  it('ignore parameters that are no filter, as the range parameters always have', () => {
    expect(parse('/dashboard?phase=checks&peer_id=x&utm=1&OS=ios')).toMatchObject({
      kind: 'ok',
      filters: {},
    });
  });

  it('refuse a repeated, empty or over-long value with the reason', () => {
    for (const tag of FILTER_TAGS) {
      expect(parse(`/dashboard?${tag}=a&${tag}=b`), tag).toEqual({
        kind: 'bad',
        json: false,
        message: `parameter ${tag} is given 2 times`,
      });
      expect(parse(`/dashboard/data.json?${tag}=`), tag).toEqual({
        kind: 'bad',
        json: true,
        message: `filter ${tag} is empty`,
      });
    }
    const longest = 'x'.repeat(MAX_FILTER_VALUE_LENGTH);
    expect(parse(`/dashboard?os=${longest}`)).toMatchObject({
      kind: 'ok',
      filters: { os: longest },
    });
    const tooLong = `filter os is longer than ${MAX_FILTER_VALUE_LENGTH} bytes, longer than any tag value`;
    expect(parse(`/dashboard?os=${longest}x`)).toMatchObject({ kind: 'bad', message: tooLong });
    // Bytes, as the ingest measures tag values: 33 two-byte characters are 66 bytes.
    expect(parse(`/dashboard?os=${encodeURIComponent('é'.repeat(33))}`)).toMatchObject({
      kind: 'bad',
      message: tooLong,
    });
    expect(parse(`/dashboard?os=${'x'.repeat(100_000)}`)).toMatchObject({ kind: 'bad' });
  });
});

describe('the handler passes the request on', () => {
  interface Answer {
    status: number;
    headers: Record<string, string | number>;
    body: string;
  }
  const loads: unknown[][] = [];
  const source: DashboardSource = {
    description: 'fake',
    load: (...args) => {
      loads.push(args);
      const [range, limits, , filters, fit] = args;
      return Promise.resolve(computePanels([], range, limits, filters, fit));
    },
  };
  /** A request and a response just real enough for the handler, without a server. */
  async function get(handler: DashboardHandler, url: string): Promise<Answer> {
    const req = { url, method: 'GET' } as IncomingMessage;
    const answer: Answer = { status: 0, headers: {}, body: '' };
    const res = Object.assign(new EventEmitter(), {
      writeHead(status: number, headers: Record<string, string | number>) {
        answer.status = status;
        answer.headers = headers;
      },
      setHeader() {},
      end(body?: string) {
        answer.body = body ?? '';
      },
    }) as unknown as ServerResponse;
    expect(await handler(req, res)).toBe(true);
    return answer;
  }

  it('loads the 24 h preset for a fit request, with the filters, and serves the fitted result', async () => {
    loads.length = 0;
    const handler = createDashboardHandler({ source, now: () => NOW });
    const json = await get(handler, '/dashboard/data.json?os=ios');
    expect(json.status).toBe(200);
    expect(loads).toEqual([
      [
        { from: NOW - 24 * 3_600_000, to: NOW },
        DEFAULT_PANEL_LIMITS,
        expect.any(AbortSignal),
        { os: 'ios' },
        true,
      ],
    ]);
    expect(JSON.parse(json.body)).toMatchObject({ insights: { filters: { os: 'ios' } } });
    await get(handler, '/dashboard/data.json?range=1h&connection_type=relay');
    expect(loads[1]?.slice(3)).toEqual([{ connection_type: 'relay' }, false]);
  });

  it('fits the configured default preset instead, when there is one', async () => {
    loads.length = 0;
    const handler = createDashboardHandler({ source, now: () => NOW, defaultRange: '6h' });
    await get(handler, '/dashboard');
    expect(loads[0]?.[0]).toEqual({ from: NOW - 6 * 3_600_000, to: NOW });
    expect(loads[0]?.[4]).toBe(true);
  });

  it('lets the page submit its filter form to itself, and nowhere else', async () => {
    const handler = createDashboardHandler({ source, now: () => NOW });
    const page = await get(handler, '/dashboard?os=ios');
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.headers['content-security-policy']).not.toContain("form-action 'none'");
    const bad = await get(handler, '/dashboard?os=');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('filter os is empty');
  });
});

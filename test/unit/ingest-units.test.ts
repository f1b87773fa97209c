import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/ingest/logger.js';
import { IngestMetrics } from '../../src/ingest/metrics.js';
import { RateLimiter } from '../../src/ingest/rate-limit.js';
import { influxV1Target } from '../../src/ingest/sinks/influx-v1.js';
import { influxV2Target } from '../../src/ingest/sinks/influx-v2.js';
import { sinkKind } from '../../src/ingest/sinks/select-sink.js';
import { SinkConfigError } from '../../src/ingest/sinks/sink.js';
import { retryAfterSeconds, safeUrl } from '../../src/ingest/sinks/upstream-http.js';
import { checkPeerIdHeader } from '../../src/protocol/peer-id.js';

describe('checkPeerIdHeader (reference §5.7 criterion 13)', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['0123456789abcdef', undefined],
    ['0123456789ABCDEF', undefined],
    [undefined, 'missing X-Peer-ID header'],
    ['', 'missing X-Peer-ID header'],
    ['0123456789abcd', 'invalid X-Peer-ID header length'],
    ['0123456789abcdef0', 'invalid X-Peer-ID header length'],
    ['0123456789abcdeg', 'invalid X-Peer-ID header format'],
    ['zzzzzzzzzzzzzzzz', 'invalid X-Peer-ID header format'],
  ];
  for (const [value, problem] of cases) {
    it(`${JSON.stringify(value)} → ${problem ?? 'ok'}`, () => {
      const r = checkPeerIdHeader(value);
      if (problem === undefined) expect(r).toEqual({ ok: true, peerId: value!.toLowerCase() });
      else expect(r).toEqual({ ok: false, message: problem });
    });
  }
});

describe('RateLimiter', () => {
  it('allows a burst, then one request per interval, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, burst: 3, maxKeys: 10, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(10); // 6 per minute: one token every 10 s
    now += 4_000;
    expect(limiter.take('a')).toBe(6);
    now += 6_000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0); // keys are independent
  });

  it('never remembers more than maxKeys keys (least recently used go first)', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 3, now: () => now });
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    limiter.take('a'); // a is now the most recent (and empty)
    for (let i = 0; i < 1000; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBe(3);
    now += 1;
    // 'a' was evicted long ago, so it starts again with a full bucket.
    expect(limiter.take('a')).toBe(0);
  });

  it('perMinute 0 turns the limit off', () => {
    const limiter = new RateLimiter({ perMinute: 0, burst: 1, maxKeys: 1 });
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.size).toBe(0);
  });
});

describe('IngestMetrics', () => {
  it('renders counters and a histogram in the Prometheus text format', () => {
    const m = new IngestMetrics();
    m.requests.inc(['204', 'stored']);
    m.requests.inc(['204', 'stored']);
    m.requests.inc(['400', 'invalid line']);
    m.invalidLines.inc(['unknown "tag"\\x']);
    m.upstreamDuration.observe(['influxdb-v1'], 0.03);
    m.upstreamDuration.observe(['influxdb-v1'], 20);
    const text = m.render();
    expect(text).toContain('# TYPE netbird_ingest_requests_total counter\n');
    expect(text).toContain('netbird_ingest_requests_total{code="204",reason="stored"} 2\n');
    expect(text).toContain('netbird_ingest_requests_total{code="400",reason="invalid line"} 1\n');
    expect(text).toContain(
      'netbird_ingest_invalid_lines_total{reason="unknown \\"tag\\"\\\\x"} 1\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="0.025"} 0\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="0.05"} 1\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="+Inf"} 2\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_count{sink="influxdb-v1"} 2\n',
    );
    expect(text).toContain('netbird_ingest_in_flight_requests 0\n');
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{.*\})? [0-9.e+-]+$/);
    }
  });
});

describe('createJsonLogger', () => {
  it('writes one JSON object per line, filtered by level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'warn',
      write: (l) => lines.push(l),
      clock: () => new Date(0),
    });
    log.info('hidden');
    log.warn('refused', { status: 400, id: 5n, error: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'refused',
      status: 400,
      id: '5',
      error: { name: 'Error', message: 'boom' },
    });
  });
});

describe('sink selection from INFLUXDB_URL', () => {
  it('picks v2, v1 or the embedded store by path', () => {
    expect(sinkKind({ influxdbUrl: '', influxdbToken: '' })).toBe('embedded');
    expect(
      sinkKind({ influxdbUrl: 'http://db:8086/api/v2/write?org=o&bucket=b', influxdbToken: 't' }),
    ).toBe('influxdb-v2');
    expect(sinkKind({ influxdbUrl: 'http://db:8086/write?db=x', influxdbToken: '' })).toBe(
      'influxdb-v1',
    );
    expect(sinkKind({ influxdbUrl: 'http://vm:8428/influx/write?db=x', influxdbToken: '' })).toBe(
      'influxdb-v1',
    );
  });

  it('refuses settings that cannot work, naming the variable', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['not a url', '', /INFLUXDB_URL is not a URL/],
      ['ftp://db/write?db=x', '', /http or https/],
      ['http://db:8086/query?db=x', '', /must end in \/api\/v2\/write .* or \/write/],
      ['http://db:8086/write', '', /needs the database/],
      ['http://db:8086/write?db=x&precision=ms', '', /precision=ms/],
      ['http://db:8086/api/v2/write?org=o', 't', /bucket/],
      ['http://db:8086/api/v2/write?org=o&bucket=b', '', /INFLUXDB_TOKEN is required/],
      ['http://db:8086/api/v2/write?org=o&bucket=b&precision=s', 't', /precision=s/],
    ];
    for (const [url, token, message] of bad) {
      expect(() => sinkKind({ influxdbUrl: url, influxdbToken: token }), url).toThrow(
        SinkConfigError,
      );
      expect(() => sinkKind({ influxdbUrl: url, influxdbToken: token }), url).toThrow(message);
    }
  });

  it('v1: precision n, basic auth from the URL (never left in it), or the token', () => {
    const basic = influxV1Target('http://u%40x:p%3As@db:8086/write?db=metrics');
    expect(basic.url.toString()).toBe('http://db:8086/write?db=metrics&precision=n');
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('u@x:p:s').toString('base64')}`);
    expect(influxV1Target('http://db/write?db=m&precision=ns', 'tok').headers).toEqual({
      authorization: 'Token tok',
    });
    expect(influxV1Target('http://db/write?db=m').headers).toEqual({});
  });

  it('v2: precision ns and the token header', () => {
    const t = influxV2Target('https://db/api/v2/write?org=netbird&bucket=metrics', 'secret');
    expect(t.url.searchParams.get('precision')).toBe('ns');
    expect(t.url.searchParams.get('org')).toBe('netbird');
    expect(t.headers).toEqual({ authorization: 'Token secret' });
  });

  it('safeUrl hides credentials for logs', () => {
    expect(safeUrl(new URL('http://u:pw@db/write?db=x&u=a&p=secret'))).toBe(
      'http://db/write?db=x&u=a&p=***',
    );
  });
});

describe('retryAfterSeconds (what the ingest relays of its database Retry-After)', () => {
  it('reads seconds and HTTP dates with the shared parser, clamped to 1 s … 1 h', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds('junk', now)).toBeUndefined();
    // Delay-seconds are whole numbers: a fraction is unreadable, as for every other sender.
    expect(retryAfterSeconds('1.5', now)).toBeUndefined();
    expect(retryAfterSeconds('7', now)).toBe(7);
    expect(retryAfterSeconds('0', now)).toBe(1);
    expect(retryAfterSeconds('99999', now)).toBe(3600);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:00 GMT', now)).toBe(1);
  });
});

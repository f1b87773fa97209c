import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type AdmissionRules, admitPush } from '../../src/ingest/push/admission.js';
import { InFlightBudget } from '../../src/ingest/push/budget.js';
import { RateLimiter } from '../../src/ingest/rate-limit.js';
import type { Sink } from '../../src/ingest/sinks/sink.js';

const PEER = '0123456789abcdef';
const SINK: Sink = {
  kind: 'embedded',
  target: 'test',
  write: async () => undefined,
  close: async () => {},
};

function request(
  headers: Record<string, string> = {},
  method = 'POST',
  remoteAddress = '192.0.2.1',
): IncomingMessage {
  return { method, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

function rules(overrides: Partial<AdmissionRules> = {}): AdmissionRules {
  const unlimited = () => new RateLimiter({ perMinute: 0, burst: 1, maxKeys: 10 });
  return {
    clientAddress: { header: '', hops: 1 },
    maxBodyBytes: 1000,
    retryAfterSeconds: 7,
    addressLimiter: unlimited(),
    peerLimiter: unlimited(),
    budget: new InFlightBudget({ maxRequests: 1, maxBytes: 100, maxDecodedBytes: 50 }),
    sink: () => SINK,
    ...overrides,
  };
}

function status(req: IncomingMessage, r: AdmissionRules = rules()): number | 'admitted' {
  const a = admitPush(req, r);
  return a.ok ? 'admitted' : a.reply.status;
}

describe('admitPush', () => {
  it('admits a POST with a valid X-Peer-ID, naming the sender for logs', () => {
    const a = admitPush(request({ 'x-peer-id': PEER, 'content-encoding': 'gzip' }), rules());
    expect(a).toEqual({
      ok: true,
      encoding: 'gzip',
      sink: SINK,
      clients: ['address 192.0.2.1', `peer ${PEER}`],
      fields: { remote: '192.0.2.1', peer: PEER },
    });
  });

  it('refuses at the headers a client that already holds its share of the slots', () => {
    const budget = new InFlightBudget({
      maxRequests: 8,
      maxBytes: 100,
      maxDecodedBytes: 50,
      maxRequestsPerClient: 1,
    });
    const r = rules({ budget });
    const first = admitPush(request({ 'x-peer-id': PEER }), r);
    if (!first.ok) throw new Error('refused');
    expect(budget.claim(false, first.clients).start()).toBe(true);
    // Same address, made-up peer id: 503, while another address is admitted.
    expect(status(request({ 'x-peer-id': 'ffffffffffffffff' }), r)).toBe(503);
    expect(status(request({ 'x-peer-id': 'ffffffffffffffff' }, 'POST', '192.0.2.2'), r)).toBe(
      'admitted',
    );
    // Same peer id from another address: 503 too.
    expect(status(request({ 'x-peer-id': PEER }, 'POST', '192.0.2.3'), r)).toBe(503);
  });

  it('answers each refusal with its status, reason and headers', () => {
    const ok = { 'x-peer-id': PEER };
    const refused = (req: IncomingMessage, r = rules()) => {
      const a = admitPush(req, r);
      if (a.ok) throw new Error('admitted');
      return a.reply;
    };
    expect(refused(request(ok, 'GET'))).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    expect(refused(request(ok), rules({ sink: () => undefined }))).toMatchObject({
      status: 503,
      reason: 'shutting down',
      headers: { 'retry-after': '7', connection: 'close' },
    });
    expect(refused(request({}))).toMatchObject({
      status: 401,
      message: 'missing X-Peer-ID header',
    });
    expect(refused(request({ ...ok, 'content-encoding': 'br' }))).toMatchObject({
      status: 415,
      message: 'unsupported content encoding: "br" (use gzip or none)',
    });
    expect(refused(request({ ...ok, 'content-length': '1001' }))).toMatchObject({
      status: 413,
      headers: { connection: 'close' },
    });
    const budget = new InFlightBudget({ maxRequests: 1, maxBytes: 100, maxDecodedBytes: 50 });
    expect(budget.claim(false).start()).toBe(true);
    expect(refused(request(ok), rules({ budget }))).toMatchObject({
      status: 503,
      reason: 'busy',
      headers: { 'retry-after': '1', connection: 'close' },
    });
  });

  it('checks the cheapest things first: method, shutdown, address rate, then the peer id', () => {
    const closed = rules({ sink: () => undefined });
    expect(status(request({}, 'GET'), closed)).toBe(405);
    expect(status(request({}), closed)).toBe(503);
    const addressLimiter = new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 10, now: () => 0 });
    const limited = rules({ addressLimiter });
    expect(status(request({ 'x-peer-id': PEER }), limited)).toBe('admitted');
    // Over the address's rate, even a request without a peer id is told to wait.
    expect(status(request({}), limited)).toBe(429);
  });

  it('limits each peer by its id, whatever address it comes from', () => {
    const peerLimiter = new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 10, now: () => 0 });
    const r = rules({ peerLimiter });
    expect(status(request({ 'x-peer-id': PEER }, 'POST', '192.0.2.1'), r)).toBe('admitted');
    const again = admitPush(request({ 'x-peer-id': PEER }, 'POST', '192.0.2.2'), r);
    expect(again).toMatchObject({
      ok: false,
      reply: { status: 429, headers: { 'retry-after': '60' } },
      fields: { remote: '192.0.2.2', peer: PEER },
    });
    expect(status(request({ 'x-peer-id': 'ffffffffffffffff' }), r)).toBe('admitted');
  });

  it('uses the forwarded address only when it is short and an IP address at the hop count', () => {
    const remote = (headers: Record<string, string>, hops = 1, header = 'x-forwarded-for') => {
      const a = admitPush(
        request({ 'x-peer-id': PEER, ...headers }),
        rules({ clientAddress: { header, hops } }),
      );
      return a.ok ? a.fields.remote : a.reply.status;
    };
    const xff = (value: string, hops = 1) => remote({ 'x-forwarded-for': value }, hops);
    expect(xff('not-an-address')).toBe('192.0.2.1');
    expect(xff('203.0.113.9, <script>')).toBe('192.0.2.1');
    expect(xff('203.0.113.9, 198.51.100.7:4711')).toBe('198.51.100.7');
    expect(xff('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(xff('::ffff:198.51.100.7')).toBe('198.51.100.7');
    // Two proxies of ours: the second entry from the right; entries left of it are the client's.
    expect(xff('10.9.9.9, 203.0.113.9, 10.0.0.2', 2)).toBe('203.0.113.9');
    expect(xff('10.0.0.2', 2)).toBe('192.0.2.1');
    // Longer than a real chain of proxies writes: not parsed at all.
    expect(xff(`${'1.1.1.1, '.repeat(40)}198.51.100.7`)).toBe('192.0.2.1');
    // Not configured: the header means nothing.
    expect(remote({ 'x-forwarded-for': '198.51.100.7' }, 1, '')).toBe('192.0.2.1');
  });

  it('keeps the address rate limiter small whatever 30,000 forwarded-for values say', () => {
    const addressLimiter = new RateLimiter({
      perMinute: 600_000,
      burst: 1_000_000,
      maxKeys: 1_000,
      now: () => 0,
    });
    const r = rules({ clientAddress: { header: 'x-forwarded-for', hops: 1 }, addressLimiter });
    const remotes = new Set<string>();
    for (let i = 0; i < 30_000; i++) {
      // 15 KB of made-up entries, each value different.
      const value = `${i}-${'x'.repeat(15_000)}, ${i}`;
      const a = admitPush(request({ 'x-peer-id': PEER, 'x-forwarded-for': value }), r);
      if (a.ok) remotes.add(a.fields.remote);
    }
    expect([...remotes]).toEqual(['192.0.2.1']);
    expect(addressLimiter.size).toBe(1);
    // Distinct well-formed addresses are remembered up to the limiter's bound only.
    for (let i = 0; i < 30_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      admitPush(request({ 'x-peer-id': PEER, 'x-forwarded-for': ip }), r);
    }
    expect(addressLimiter.size).toBe(1_000);
  });

  it('takes the client address from the last entry of the configured header', () => {
    const r = rules({ clientAddress: { header: 'x-forwarded-for', hops: 1 } });
    const a = admitPush(
      request({ 'x-peer-id': PEER, 'x-forwarded-for': '203.0.113.9, 198.51.100.1' }),
      r,
    );
    expect(a.ok && a.fields.remote).toBe('198.51.100.1');
    const direct = admitPush(request({ 'x-peer-id': PEER, 'x-forwarded-for': ' ' }), r);
    expect(direct.ok && direct.fields.remote).toBe('192.0.2.1');
  });
});

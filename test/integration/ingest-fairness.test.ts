// Fairness of the ingest against one abusive sender, on real sockets: slow bodies from one
// address hold at most its share of the request slots (and are cut off below the least rate),
// headers alone hold no slot, forwarded-for values are trusted only as addresses at the
// configured hop, and connections are capped per address with idle ones closed first at the
// limit while /health from loopback is still answered. Outcomes are asserted, never durations.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_RESERVE } from '../../src/ingest/connections.js';
import type { IngestServerOptions } from '../../src/ingest/server.js';
import { waitFor } from '../helpers/backend-clients.js';
import { push, startIngest, syncLine, type TestIngest } from '../helpers/ingest-server.js';

/** A bound on every wait, so a broken server fails instead of hanging. */
const GIVE_UP_MS = 15_000;

let running: TestIngest[] = [];
let sockets: Socket[] = [];
async function start(options: IngestServerOptions): Promise<TestIngest> {
  const ingest = await startIngest(options);
  running.push(ingest);
  return ingest;
}
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});

const peer = () => randomBytes(8).toString('hex');

interface Raw {
  readonly socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  readonly closed: Promise<string>;
  /** The status of the first answer, once one arrived (undefined when closed without one). */
  readonly status: Promise<number | undefined>;
}

/**
 * A raw connection (from `localAddress` when given) that writes `head` once connected and then
 * `drip` one byte every `everyMs` until the server answers or hangs up.
 */
function raw(
  url: string,
  head: string,
  options: { drip?: string; everyMs?: number; localAddress?: string } = {},
): Raw & { connected: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect({
    host: hostname,
    port: Number(port),
    localAddress: options.localAddress,
  });
  sockets.push(socket);
  let data = '';
  let timer: NodeJS.Timeout | undefined;
  let answered: (status: number | undefined) => void = () => {};
  const status = new Promise<number | undefined>((resolve) => {
    answered = resolve;
  });
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    data += d;
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(data);
    if (m !== null) {
      clearInterval(timer);
      answered(Number(m[1]));
    }
  });
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => {
    socket.on('connect', () => {
      if (head !== '') socket.write(head);
      const { drip, everyMs } = options;
      if (drip !== undefined && everyMs !== undefined) {
        let i = 0;
        timer = setInterval(() => {
          if (socket.writable) socket.write(drip[i++ % drip.length] as string);
        }, everyMs);
      }
      resolve();
    });
  });
  const giveUp = setTimeout(() => socket.destroy(), GIVE_UP_MS);
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      answered(undefined);
      resolve(data);
    });
  });
  return { socket, closed, status, connected };
}

function pushHead(headers: Record<string, string>, contentLength: number): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `POST / HTTP/1.1\r\nHost: ingest\r\nContent-Type: text/plain\r\n${extra.join('')}Content-Length: ${contentLength}\r\n\r\n`;
}

describe('one address cannot take the slots from everyone else', () => {
  const options: IngestServerOptions = {
    maxConcurrentRequests: 8,
    clientSharePercent: 25, // 2 slots per address and per peer
    clientIpHeader: 'X-Forwarded-For',
    minBodyBytesPerSecond: 200,
    bodyRateWindowMs: 500,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 20_000,
  };

  it('slow bodies from one address (seven made-up peers) get 2 slots, then 408; the rest 503; others are stored', async () => {
    const ingest = await start(options);
    const peers = Array.from({ length: 7 }, peer);
    const slow = Array.from({ length: 8 }, (_, i) =>
      raw(
        ingest.url,
        `${pushHead({ 'X-Forwarded-For': '198.51.100.66', 'X-Peer-ID': peers[i % 7] as string }, 100_000)}${syncLine()}`,
        { drip: syncLine(), everyMs: 100 },
      ),
    );
    // Six of the eight are refused once their bodies begin; two hold their slots meanwhile.
    await waitFor(async () => (await statusesSoFar(slow)).filter((s) => s === 503).length === 6, {
      timeoutMs: GIVE_UP_MS,
      intervalMs: 20,
      what: 'six refusals',
    });
    const fair = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        push(ingest.url, syncLine(), {
          'x-forwarded-for': `203.0.113.${i + 1}`,
          'x-peer-id': peer(),
        }),
      ),
    );
    expect(fair.map((a) => a.status)).toEqual([204, 204, 204, 204, 204, 204]);
    const outcomes = await Promise.all(slow.map((s) => s.status));
    expect(outcomes.filter((s) => s === 503).length).toBe(6);
    // The two in the slots trickle below 200 bytes a second: cut off with 408.
    expect(outcomes.filter((s) => s === 408).length).toBe(2);
  });

  it('headers alone hold no slot, and a body that never starts is cut off with 408', async () => {
    const ingest = await start(options);
    const waiting = Array.from({ length: 8 }, (_, i) =>
      raw(
        ingest.url,
        pushHead({ 'X-Forwarded-For': `198.51.100.${i + 1}`, 'X-Peer-ID': peer() }, 1000),
      ),
    );
    await Promise.all(waiting.map((w) => w.connected));
    const fair = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        push(ingest.url, syncLine(), {
          'x-forwarded-for': `203.0.113.${i + 1}`,
          'x-peer-id': peer(),
        }),
      ),
    );
    expect(fair.map((a) => a.status)).toEqual(fair.map(() => 204));
    expect(await Promise.all(waiting.map((w) => w.status))).toEqual(waiting.map(() => 408));
  });
});

/** The statuses answered so far (undefined: none yet). */
async function statusesSoFar(conns: readonly Raw[]): Promise<(number | undefined)[]> {
  return Promise.all(
    conns.map((c) =>
      Promise.race([c.status, new Promise<undefined>((r) => setImmediate(() => r(undefined)))]),
    ),
  );
}

describe('forwarded-for is an address at the configured hop, or nothing', () => {
  it('keys spoofed, garbage and over-long values by the socket address', async () => {
    const { url } = await start({
      addressRatePerMinute: 1,
      addressBurst: 1,
      clientIpHeader: 'X-Forwarded-For',
    });
    const from = (xff: string) =>
      push(url, syncLine(), { 'x-forwarded-for': xff, 'x-peer-id': peer() });
    expect((await from('made-up-1')).status).toBe(204); // the socket address's one token
    const spoofed = [
      'made-up-2',
      '<b>',
      '1.2.3.4.5',
      `${'9'.repeat(300)}`,
      `${'10.0.0.1,'.repeat(40)}10.0.0.2`,
    ];
    for (const value of spoofed) expect((await from(value)).status).toBe(429);
    // A real address is its own key, and only one.
    expect((await from('198.51.100.1')).status).toBe(204);
    expect((await from('198.51.100.1:5555')).status).toBe(429);
  });

  it('with two proxies, takes the second entry from the right whatever the client prepends', async () => {
    const { url } = await start({
      addressRatePerMinute: 1,
      addressBurst: 1,
      clientIpHeader: 'X-Forwarded-For',
      clientIpHops: 2,
    });
    const from = (xff: string) =>
      push(url, syncLine(), { 'x-forwarded-for': xff, 'x-peer-id': peer() });
    expect((await from('6.6.6.6, 198.51.100.9, 10.0.0.1')).status).toBe(204);
    expect((await from('7.7.7.7, 198.51.100.9, 10.0.0.1')).status).toBe(429);
    expect((await from('198.51.100.9, 10.0.0.1')).status).toBe(429);
    expect((await from('198.51.100.10, 10.0.0.1')).status).toBe(204);
  });
});

describe('connections', () => {
  it('caps connections per address; past the cap loopback is answered on /health only, then closed at accept', async () => {
    const ingest = await start({ maxConnectionsPerAddress: 2 });
    const held = [0, 1].map(() => raw(ingest.url, ''));
    await Promise.all(held.map((h) => h.connected));
    const health = raw(ingest.url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await health.status).toBe(200);
    const body = syncLine();
    const refused = raw(ingest.url, `${pushHead({ 'X-Peer-ID': peer() }, body.length)}${body}`);
    expect(await refused.status).toBe(503);
    await Promise.all([health.closed, refused.closed]);
    // The reserve filled with silent connections: the next from this address is closed at once.
    const reserve = Array.from({ length: LOOPBACK_RESERVE }, () => raw(ingest.url, ''));
    await Promise.all(reserve.map((r) => r.connected));
    const over = raw(ingest.url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await over.closed).toBe('');
    // Another address still gets in and is stored.
    const other = raw(ingest.url, `${pushHead({ 'X-Peer-ID': peer() }, body.length)}${body}`, {
      localAddress: '127.0.0.2',
    });
    expect(await other.status).toBe(204);
  });

  it('at the connection limit closes an idle connection for a new one, not the new one', async () => {
    const ingest = await start({ maxConnections: 4 });
    const idle = [0, 1, 2, 3].map(() => raw(ingest.url, ''));
    await Promise.all(idle.map((i) => i.connected));
    let closedIdle = 0;
    for (const i of idle) void i.closed.then(() => closedIdle++);
    expect((await push(ingest.url, syncLine())).status).toBe(204);
    await waitFor(() => closedIdle === 1, {
      timeoutMs: GIVE_UP_MS,
      intervalMs: 10,
      what: 'one idle closed',
    });
    // Busy connections are never closed for room: over the limit, loopback gets /health only.
    const body = syncLine();
    const busy = [0, 1, 2, 3].map(() =>
      raw(ingest.url, pushHead({ 'X-Peer-ID': peer() }, body.length + 10), {
        localAddress: '127.0.0.3',
      }),
    );
    await Promise.all(busy.map((b) => b.connected));
    await waitFor(() => closedIdle === 4, {
      timeoutMs: GIVE_UP_MS,
      intervalMs: 10,
      what: 'all idle closed',
    });
    // All four are in their requests (so none of them is idle) before the probe comes.
    await waitFor(
      () => ingest.server.metrics.render().includes('netbird_ingest_in_flight_requests 4\n'),
      { timeoutMs: GIVE_UP_MS, intervalMs: 10, what: 'four requests in flight' },
    );
    const probe = raw(ingest.url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await probe.status).toBe(200);
    const late = raw(ingest.url, `${pushHead({ 'X-Peer-ID': peer() }, body.length)}${body}`);
    expect(await late.status).toBe(503);
    for (const b of busy) b.socket.write(`${body}\n`.padEnd(body.length + 10, '\n'));
    expect(await Promise.all(busy.map((b) => b.status))).toEqual([204, 204, 204, 204]);
  });
});

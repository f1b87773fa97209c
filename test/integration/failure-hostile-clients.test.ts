// Failure test 8: hostile clients. Connections that send their headers or their body byte by
// byte are cut off by the ingest's timeouts while /health keeps answering; a peer flooding the
// ingest gets 429 with Retry-After while other peers' pushes are still stored.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIngestServer, type IngestServer } from '../../src/ingest/server.js';
import { influxCreateDatabase, uniqueName } from '../helpers/backend-clients.js';
import { send } from '../helpers/ingest-server.js';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const PEER_BURST = 5;
/** A bound on every wait, far above the timeouts, so a broken server fails instead of hanging. */
const GIVE_UP_MS = 15_000;

const influxUrl = inject('influxdbUrl');
let server: IngestServer;
let host: string;
let port: number;
let url: string;

beforeAll(async () => {
  const db = uniqueName('hostile');
  await influxCreateDatabase(influxUrl, db);
  server = createIngestServer({
    influxdbUrl: `${influxUrl}/write?db=${db}`,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    peerRatePerMinute: 6,
    peerBurst: PEER_BURST,
    logLevel: 'silent',
  });
  const address = await server.listen(0, '127.0.0.1');
  ({ url, host, port } = address);
});

afterAll(async () => {
  await server?.close();
});

function line(i: number): string {
  return `netbird_sync,deployment_type=cloud,version=0.40.1,os=linux,arch=amd64,peer_id=${'a'.repeat(16)} duration_seconds=${(i % 100) / 10} ${1_795_000_000_000_000_000n + BigInt(i)}\n`;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

async function push(peerId: string, body: string): Promise<Answer> {
  const answer = await send(url, {
    body,
    headers: { 'x-peer-id': peerId, 'content-type': 'text/plain; charset=utf-8' },
    timeoutMs: GIVE_UP_MS,
  });
  const retryAfter = answer.headers['retry-after'];
  return { status: answer.status, retryAfter };
}

async function health(): Promise<number> {
  return (await send(url, { method: 'GET', path: '/health', timeoutMs: GIVE_UP_MS })).status;
}

interface Dripper {
  socket: Socket;
  /** Resolves when the server ends the connection: what it answered, and when. */
  closed: Promise<{ answer: string; afterMs: number }>;
  stop(): void;
}

/** Opens a connection, sends `head`, then `drip` one byte at a time until the server hangs up. */
function dripper(head: string, drip: string, everyMs: number): Dripper {
  const socket = connect({ host, port });
  const opened = performance.now();
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  let i = 0;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    answer += d;
  });
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length] as string);
    }, everyMs);
  });
  const giveUp = setTimeout(() => socket.destroy(new Error('never cut off')), GIVE_UP_MS);
  const closed = new Promise<{ answer: string; afterMs: number }>((resolve, reject) => {
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, afterMs: performance.now() - opened });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset from the server is a cut-off too; only our own give-up is a failure.
      if (error.message === 'never cut off') reject(error);
    });
  });
  return {
    socket,
    closed,
    stop: () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
    },
  };
}

describe('hostile clients against the ingest', () => {
  it('cuts off slow headers and slow bodies at its timeouts while /health keeps answering', async () => {
    const slowHeaders = Array.from({ length: 10 }, () =>
      dripper('POST / HTTP/1.1\r\nHost: ingest\r\nX-Slow: ', 'abcdefgh', 100),
    );
    const slowBodies = Array.from({ length: 10 }, () =>
      dripper(
        `POST / HTTP/1.1\r\nHost: ingest\r\nX-Peer-ID: ${randomBytes(8).toString('hex')}\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`,
        line(1),
        100,
      ),
    );
    const all = [...slowHeaders, ...slowBodies];
    let stillOpen = all.length;
    for (const d of all) void d.closed.then(() => stillOpen--);
    try {
      // While all twenty are dripping, /health answers, again and again, before any is cut off.
      let answered = 0;
      for (let k = 0; k < 10; k++) {
        expect(await health()).toBe(200);
        if (stillOpen === all.length) answered++;
      }
      expect(answered).toBe(10);

      const headerEnds = await Promise.all(slowHeaders.map((d) => d.closed));
      const bodyEnds = await Promise.all(slowBodies.map((d) => d.closed));
      for (const end of headerEnds) {
        // Cut off by the headers timeout, not before it, and told so with a 408.
        expect(end.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.9);
        expect(end.answer).toMatch(/^HTTP\/1\.1 408 /);
      }
      for (const end of bodyEnds) {
        expect(end.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.9);
        expect(end.answer).toMatch(/^HTTP\/1\.1 408 /);
      }
      // Nobody is cut off by the slow bodies' timeout only: slow headers go first.
      const lastHeader = Math.max(...headerEnds.map((e) => e.afterMs));
      const firstBody = Math.min(...bodyEnds.map((e) => e.afterMs));
      expect(lastHeader).toBeLessThan(firstBody);
      // And the server still works afterwards.
      expect(await health()).toBe(200);
      expect((await push(randomBytes(8).toString('hex'), line(2))).status).toBe(204);
    } finally {
      for (const d of all) d.stop();
    }
  }, 30_000);

  it('answers a flooding peer 429 with Retry-After without starving the other peers', async () => {
    const flooder = randomBytes(8).toString('hex');
    const others = Array.from({ length: 8 }, () => randomBytes(8).toString('hex'));
    // 60 pushes from one peer, 20 at a time, while each other peer pushes twice in between.
    const flood: Promise<Answer>[] = [];
    const fair: Promise<Answer>[] = [];
    for (let i = 0; i < 60; i++) {
      flood.push(push(flooder, line(100 + i)));
      if (i % 4 === 0) fair.push(push(others[(i / 4) % others.length] as string, line(1000 + i)));
      if (i % 20 === 19) await Promise.all(flood.slice(-20));
    }
    const floodAnswers = await Promise.all(flood);
    const fairAnswers = await Promise.all(fair);

    const stored = floodAnswers.filter((a) => a.status === 204).length;
    const limited = floodAnswers.filter((a) => a.status === 429);
    // The burst gets through (plus at most a token refilled meanwhile); the rest is refused.
    expect(stored).toBeGreaterThanOrEqual(PEER_BURST);
    expect(stored).toBeLessThanOrEqual(PEER_BURST + 1);
    expect(limited.length).toBe(60 - stored);
    for (const a of limited) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    // Every other peer's push was stored.
    expect(fairAnswers.map((a) => a.status)).toEqual(fairAnswers.map(() => 204));
    expect(fairAnswers.length).toBe(15);
  }, 30_000);
});

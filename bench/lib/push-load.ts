// The load generator of the ingest benchmarks: keep-alive clients that each send one gzip push
// at a time, round-robin over realistic bodies, to the ingest or straight to a database.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { lineBody, splitLines } from './bodies.js';

const DEFAULT_LINES_PER_BATCH = 200;
const DEFAULT_CONCURRENCY = 8;

export interface Target {
  url: URL;
  /** Bodies are sent as they are, without `Content-Encoding: gzip`. */
  plain?: boolean;
  headers: (i: number) => Record<string, string>;
}

/** A client body as sent (gzip, or plain for a plain target) and how many lines it holds. */
export interface ClientBody {
  readonly bytes: Buffer;
  readonly lines: number;
}

/** What one timed run of a side did. */
export interface Run {
  requests: number;
  lines: number;
  seconds: number;
  latenciesMs: number[];
}

/** One push; resolves with the answer's status (the body is read and thrown away). */
export function post(agent: Agent, target: Target, body: Buffer, i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target.url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        ...(target.plain !== true && { 'content-encoding': 'gzip' }),
        'content-length': String(body.length),
        ...target.headers(i),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends bodies round-robin from `concurrency` clients, each one push at a time, for `ms`. */
export async function drive(
  target: Target,
  bodies: readonly ClientBody[],
  ms: number,
  concurrency: number,
): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const run: Run = { requests: 0, lines: 0, seconds: 0, latenciesMs: [] };
  let next = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  const client = async () => {
    while (performance.now() < deadline) {
      const i = next++;
      const body = bodies[i % bodies.length] as ClientBody;
      const sent = performance.now();
      const status = await post(agent, target, body.bytes, i);
      if (status !== 204) throw new Error(`${target.url.origin}: HTTP ${status} for batch ${i}`);
      run.latenciesMs.push(performance.now() - sent);
      run.requests++;
      run.lines += body.lines;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
  } finally {
    agent.destroy();
  }
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

/** Requests per second from `concurrency` clients over `ms` (used by other benchmarks too). */
export async function load(
  target: Target,
  bodies: readonly Buffer[],
  ms: number,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<number> {
  const run = await drive(
    target,
    bodies.map((bytes) => ({ bytes, lines: 0 })),
    ms,
    concurrency,
  );
  return run.requests / run.seconds;
}

/** Realistic client pushes of `linesPerBatch` lines, gzip unless `plain`. */
export function clientBodies(bytes: number, linesPerBatch: number, plain = false): ClientBody[] {
  return splitLines(lineBody(bytes, 5).text, linesPerBatch).map((text) => ({
    bytes: plain ? text : gzipSync(text),
    lines: countLines(text),
  }));
}

/** Realistic client pushes: gzip batches of 200 lines. */
export function batches(bytes: number, linesPerBatch = DEFAULT_LINES_PER_BATCH): Buffer[] {
  return clientBodies(bytes, linesPerBatch).map((b) => b.bytes);
}

function countLines(text: Buffer): number {
  let lines = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/** The ingest as a target: each batch from one of 1000 peers (pushes carry X-Peer-ID). */
export function ingestTarget(baseUrl: string): Target {
  const peerIds = Array.from({ length: 1000 }, () => randomBytes(8).toString('hex'));
  return {
    url: new URL(`${baseUrl}/`),
    headers: (i) => ({ 'x-peer-id': peerIds[i % peerIds.length] as string }),
  };
}

// Helpers for the ingest server tests: a server on a loopback port with its own data folder,
// a bounded HTTP client that still reads an answer sent before the body was finished, and a
// sink whose writes the test controls.
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonLogger } from '../../src/ingest/logger.js';
import {
  createIngestServer,
  type IngestServer,
  type IngestServerOptions,
} from '../../src/ingest/server.js';
import type { LineBatch, Sink } from '../../src/ingest/sinks/sink.js';

export const PEER_ID = '0123456789abcdef';
export const TS = 1_764_000_000_123_456_789n;

/** A Go client line with an empty peer id (sent before the client knew its key). */
export const EMPTY_PEER_LINE = `netbird_sync,deployment_type=unknown,version=0.61.2,os=linux,arch=amd64,peer_id= duration_seconds=5e-05 ${TS}`;
/** `EMPTY_PEER_LINE` as the ingest forwards it: the empty tag dropped (no newline). */
export const EMPTY_PEER_NORMALISED = `netbird_sync,deployment_type=unknown,version=0.61.2,os=linux,arch=amd64 duration_seconds=5e-05 ${TS}`;

/** A valid sync line (Go client shape) with the given timestamp. */
export function syncLine(ts: bigint = TS, seconds = '1.5', peer = PEER_ID): string {
  return `netbird_sync,deployment_type=selfhosted,version=0.61.2,os=linux,arch=amd64,peer_id=${peer} duration_seconds=${seconds} ${ts}`;
}

export interface TestIngest {
  readonly url: string;
  readonly server: IngestServer;
  readonly dataDir: string;
  /** JSON log lines written so far. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** An ingest server on 127.0.0.1:<free port>, rate limits off unless the test sets them. */
export async function startIngest(options: IngestServerOptions = {}): Promise<TestIngest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'netbird-ingest-test-'));
  const logs: string[] = [];
  const server = createIngestServer({
    dataDir,
    peerRatePerMinute: 0,
    addressRatePerMinute: 0,
    shutdownTimeoutMs: 5_000,
    logger: createJsonLogger({ level: 'debug', write: (line) => logs.push(line) }),
    ...options,
  });
  const { url } = await server.listen(0, '127.0.0.1');
  return {
    url,
    server,
    dataDir,
    logs,
    stop: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  /** A body, or its chunks (sent without Content-Length, chunked). */
  body?: string | Buffer | Buffer[];
  timeoutMs?: number;
}

/**
 * One request on its own connection. Resolves with the answer even when the server answers
 * early and stops reading (the client's write may then fail, which is ignored).
 */
export function send(baseUrl: string, options: SendOptions = {}): Promise<Answer> {
  const url = new URL(options.path ?? '/', baseUrl);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'POST',
      headers: options.headers,
      agent: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    let answered = false;
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    const body = options.body;
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** POST a push with a valid X-Peer-ID (unless headers say otherwise). */
export function push(
  baseUrl: string,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): Promise<Answer> {
  return send(baseUrl, { body, headers: { 'x-peer-id': PEER_ID, ...headers } });
}

/** A sink that keeps batches in memory; `hold()` makes writes wait until `release()`. */
export class TestSink implements Sink {
  readonly kind = 'influxdb-v1' as const;
  readonly target = 'memory';
  readonly batches: string[] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  started = 0;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async write(batch: LineBatch): Promise<void> {
    this.started++;
    if (this.#gate !== undefined) await this.#gate;
    this.batches.push(Buffer.concat(batch.pieces as Buffer[]).toString());
  }

  async close(): Promise<void> {
    this.release();
  }
}

// A loopback node:http server that records every request (gzip bodies decoded) and answers
// with a per-test handler. Only for what a real server will not do on demand: chosen status
// codes, Retry-After, dropped connections, silence.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The body as sent (compressed when gzip). */
  readonly raw: Buffer;
  /** The body decoded (gunzipped when `Content-Encoding: gzip`). */
  readonly text: string;
  /** `performance.now()` when the request arrived. */
  readonly at: number;
  /** Requests this connection had carried before this one (0 on a fresh connection). */
  readonly earlier: number;
}

export type Handler = (
  request: RecordedRequest,
  response: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler; the default answers 204. */
  handle(handler: Handler): void;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Test bodies are small; anything bigger is a bug in the code under test. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startRecordingServer(handler?: Handler): Promise<RecordingServer> {
  let current: Handler = handler ?? ((_req, res) => void res.writeHead(204).end());
  const requests: RecordedRequest[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const carried = new WeakMap<Socket, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('test body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const gzip = req.headers['content-encoding'] === 'gzip';
      const earlier = carried.get(req.socket) ?? 0;
      carried.set(req.socket, earlier + 1);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        raw,
        text: (gzip ? gunzipSync(raw) : raw).toString('utf8'),
        at: performance.now(),
        earlier,
      };
      const index = requests.push(recorded) - 1;
      for (const wake of waiters.splice(0)) wake();
      Promise.resolve(current(recorded, res, index)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `expected ${count} requests within ${timeoutMs} ms, got ${requests.length}`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return requests.slice(0, count);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with a status, optional headers and body. */
export function reply(status: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers).end(body);
  };
}

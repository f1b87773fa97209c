// Requests to one HTTP/1.1 origin over kept-alive connections, at most `maxSockets` of them; a
// request waits for a free one past that. Each request is written in one go (head and body
// pieces corked into a single writev) and its answer read by ResponseReader. This replaces
// node:http's client for database writes: a ClientRequest, its agent bookkeeping and the
// IncomingMessage stream cost about four times the CPU of the write itself on loopback, and
// the ingest makes one such write for every group of pushes. undici's Pool, measured in its
// place, cost nearly as much (167-270 us more CPU per write to InfluxDB than this client),
// partly because it reuses a connection only a turn of the event loop after its answer.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import { ResponseReader } from './http1-response.js';

export interface Http1Answer {
  readonly status: number;
  /** The start of the body, at most `maxResponseBytes`. */
  readonly body: string;
  readonly retryAfter: string | undefined;
}

/** Set by the client while a request can be stopped: waiting for a connection or on the wire. */
export interface StopHandle {
  stop: (() => void) | undefined;
}

/** A request failed on a reused connection before any answer: the upstream never saw it. */
export class StaleConnectionError extends Error {
  constructor(readonly original: unknown) {
    super('stale keep-alive connection');
  }
}

/** What a stopped request rejects with. */
export const STOPPED = new Error('upstream request stopped');

/** The error node:http gives for a connection closed before an answer, kept for messages. */
function hangUp(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('socket hang up');
  error.code = 'ECONNRESET';
  return error;
}

/** TCP keep-alive probes on idle connections, as node:http's agent sends them. */
const KEEP_ALIVE_PROBE_MS = 1000;

/** One connection and the request it carries, if any. */
class Connection {
  readonly socket: Socket;
  /** Requests it answered before the current one. */
  served = 0;
  exchange: Exchange | undefined;
  dropped = false;

  constructor(socket: Socket, client: Http1Client) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_PROBE_MS);
    socket.on('data', (chunk: Buffer) => {
      const exchange = this.exchange;
      // Bytes on an idle connection answer nothing we asked: it cannot be trusted.
      if (exchange === undefined) client.drop(this);
      else exchange.data(chunk);
    });
    socket.on('end', () => this.exchange?.ended());
    socket.on('error', (error: Error) => this.exchange?.fail(error));
    socket.on('close', () => {
      this.exchange?.fail(this.exchange.reader.started ? cutOff() : hangUp());
      client.drop(this);
    });
  }
}

function cutOff(): Error {
  return new Error('upstream response cut off');
}

/** One request from its start on a connection to its answer. */
class Exchange {
  readonly reader: ResponseReader;
  readonly #client: Http1Client;
  readonly #head: string;
  readonly #pieces: readonly Buffer[];
  readonly #handle: StopHandle;
  readonly #resolve: (answer: Http1Answer) => void;
  readonly #reject: (error: unknown) => void;
  #connection: Connection | undefined;
  #settled = false;

  constructor(
    client: Http1Client,
    head: string,
    pieces: readonly Buffer[],
    handle: StopHandle,
    resolve: (answer: Http1Answer) => void,
    reject: (error: unknown) => void,
    maxResponseBytes: number,
  ) {
    this.#client = client;
    this.#head = head;
    this.#pieces = pieces;
    this.#handle = handle;
    this.#resolve = resolve;
    this.#reject = reject;
    this.reader = new ResponseReader(maxResponseBytes);
  }

  /** Waiting for a connection: stopping takes it out of the queue. */
  waiting(): void {
    this.#handle.stop = () => {
      this.#client.unqueue(this);
      this.fail(STOPPED);
    };
  }

  start(connection: Connection): void {
    this.#connection = connection;
    connection.exchange = this;
    this.#handle.stop = () => this.fail(STOPPED);
    const socket = connection.socket;
    socket.cork();
    socket.write(this.#head, 'latin1');
    for (const piece of this.#pieces) socket.write(piece);
    socket.uncork();
  }

  data(chunk: Buffer): void {
    try {
      if (this.reader.push(chunk)) this.#done();
    } catch (error) {
      this.fail(error);
    }
  }

  /** The upstream closed its side: the answer is complete now or never. */
  ended(): void {
    if (this.reader.end()) this.#done();
    else this.fail(this.reader.started ? cutOff() : hangUp());
  }

  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#handle.stop = undefined;
    const connection = this.#detach();
    const code = (error as NodeJS.ErrnoException).code;
    const stale =
      connection !== undefined &&
      connection.served > 0 &&
      !this.reader.started &&
      error !== STOPPED &&
      (code === 'ECONNRESET' || code === 'EPIPE');
    if (connection !== undefined) this.#client.drop(connection);
    this.#reject(stale ? new StaleConnectionError(error) : error);
  }

  #done(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#handle.stop = undefined;
    const reader = this.reader;
    const connection = this.#detach();
    this.#resolve({ status: reader.status, body: reader.body(), retryAfter: reader.retryAfter });
    if (connection === undefined) return;
    if (reader.keepAlive && !reader.trailing) this.#client.reuse(connection);
    else this.#client.drop(connection);
  }

  #detach(): Connection | undefined {
    const connection = this.#connection;
    if (connection !== undefined) connection.exchange = undefined;
    this.#connection = undefined;
    return connection;
  }
}

export interface Http1ClientOptions {
  readonly maxSockets: number;
  readonly maxResponseBytes: number;
}

export class Http1Client {
  readonly #connect: () => Socket;
  readonly #options: Http1ClientOptions;
  /** Idle connections, the most recently used last. */
  readonly #free: Connection[] = [];
  readonly #waiting: Exchange[] = [];
  readonly #live = new Set<Connection>();
  #closed = false;

  constructor(url: URL, options: Http1ClientOptions) {
    this.#options = options;
    const { hostname: given, port } = urlToHttpOptions(url);
    const hostname = given ?? 'localhost';
    const https = url.protocol === 'https:';
    const portNumber = Number(port ?? (https ? 443 : 80));
    this.#connect = https
      ? () =>
          tlsConnect({
            host: hostname,
            port: portNumber,
            servername: isIP(hostname) === 0 ? hostname : undefined,
            ALPNProtocols: ['http/1.1'],
          })
      : () => netConnect({ host: hostname, port: portNumber });
  }

  /** Sends `head` (the request line and headers, ending in a blank line) and the body pieces. */
  request(head: string, pieces: readonly Buffer[], handle: StopHandle): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      const exchange = new Exchange(
        this,
        head,
        pieces,
        handle,
        resolve,
        reject,
        this.#options.maxResponseBytes,
      );
      if (this.#closed) exchange.fail(new Error('upstream connections closed'));
      else this.#assign(exchange);
    });
  }

  /** Ends every connection; requests still waiting for one fail. */
  close(): void {
    this.#closed = true;
    for (const exchange of this.#waiting.splice(0)) {
      exchange.fail(new Error('upstream connections closed'));
    }
    for (const connection of [...this.#live]) this.drop(connection);
  }

  /** Called by an exchange whose answer left its connection fit for another request. */
  reuse(connection: Connection): void {
    if (connection.dropped || this.#closed) {
      this.drop(connection);
      return;
    }
    connection.served++;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next.start(connection);
      return;
    }
    // An idle connection must not keep the process alive.
    connection.socket.unref();
    this.#free.push(connection);
  }

  /** Ends a connection (once) and lets a waiting request open another. */
  drop(connection: Connection): void {
    if (connection.dropped) return;
    connection.dropped = true;
    this.#live.delete(connection);
    const at = this.#free.indexOf(connection);
    if (at >= 0) this.#free.splice(at, 1);
    connection.socket.destroy();
    const next = this.#waiting.shift();
    if (next !== undefined) this.#assign(next);
  }

  /** Called by a waiting exchange that was stopped. */
  unqueue(exchange: Exchange): void {
    const at = this.#waiting.indexOf(exchange);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  #assign(exchange: Exchange): void {
    const idle = this.#free.pop();
    if (idle !== undefined) {
      idle.socket.ref();
      exchange.start(idle);
      return;
    }
    if (this.#live.size < this.#options.maxSockets) {
      const connection = new Connection(this.#connect(), this);
      this.#live.add(connection);
      exchange.start(connection);
      return;
    }
    this.#waiting.push(exchange);
    exchange.waiting();
  }
}

// The ingest's HTTP server: routes, listening and shutdown. A push goes through admission
// (push/admission.ts) and then the handler (push/handler.ts); answers are in push/replies.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPushConfig } from '../protocol/push-config.js';
import { ConnectionGuard, LOOPBACK_RESERVE } from './connections.js';
import { createJsonLogger, type Logger } from './logger.js';
import { IngestMetrics } from './metrics.js';
import {
  checkOptions,
  DEFAULT_OPTIONS,
  type IngestOptions,
  parseListenAddress,
} from './options.js';
import { type AdmissionRules, admitPush } from './push/admission.js';
import { InFlightBudget } from './push/budget.js';
import { handlePush, type PushContext } from './push/handler.js';
import { busy, Replies } from './push/replies.js';
import { RateLimiter } from './rate-limit.js';
import { openSink, sinkKind } from './sinks/select-sink.js';
import type { Sink } from './sinks/sink.js';

export interface IngestServerOptions extends Partial<IngestOptions> {
  /** Structured logger; by default JSON lines on stdout at `logLevel`. */
  logger?: Logger;
  /** A sink to use instead of the one INFLUXDB_URL selects (it is closed with the server). */
  sink?: Sink;
  /**
   * Extra routes (e.g. the dashboard), tried in order before the ingest catch-all, after
   * /health, /config and /metrics. A route resolves true when it answered the request.
   */
  routes?: readonly IngestRoute[];
}

export type IngestRoute = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ListeningAddress {
  /** `http://host:port`, for clients. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

export interface IngestServer {
  /** Opens the sink and starts listening; port and host override the `listen` option. */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops accepting, lets in-flight requests finish (bounded), closes the sink. */
  close(): Promise<void>;
  address(): AddressInfo | null;
  readonly metrics: IngestMetrics;
  /** The sink, once listening. */
  readonly sink: Sink | undefined;
  readonly options: Readonly<IngestOptions>;
}

/**
 * The ingest server: `POST` on any path takes a push, `/health`, `/config` and `/metrics` answer
 * GETs. A push is answered 2xx only after the sink has stored it, so a client never drops data
 * that was not kept: 204 when stored, 400 for an invalid body (the first bad line and why), 401
 * for a missing or malformed X-Peer-ID, 405, 413 for a body past a cap, 415 for an encoding
 * other than gzip, 429 with Retry-After over the rate limit, 503 with Retry-After when the
 * database is down, slow or failing, and the database's own 4xx relayed.
 */
export function createIngestServer(input: IngestServerOptions = {}): IngestServer {
  const ingest = new Ingest(input);
  return {
    listen: (port, host) => ingest.listen(port, host),
    close: () => ingest.close(),
    address: () => ingest.address(),
    metrics: ingest.metrics,
    get sink() {
      return ingest.sink;
    },
    options: ingest.options,
  };
}

/** Options given in code over the defaults, checked as strictly as parsed ones. */
function resolveServerOptions(given: Partial<IngestOptions>): IngestOptions {
  const options: IngestOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  checkOptions(options);
  return options;
}

/** The `/config` document; without a server URL there is nothing to tell clients (404). */
function pushConfigBody(options: IngestOptions): string | undefined {
  if (options.configServerUrl === '') return undefined;
  return renderPushConfig({
    serverUrl: options.configServerUrl,
    versionSince: options.configVersionSince,
    versionUntil: options.configVersionUntil,
    periodMinutes: options.configPeriodMinutes,
  });
}

/** One client's share of a limit: at least `least`, so one client alone is never locked out. */
function share(options: IngestOptions, limit: number, least: number): number {
  return Math.max(least, Math.floor((limit * options.clientSharePercent) / 100));
}

function admissionRules(options: IngestOptions, ingest: Ingest): AdmissionRules {
  return {
    clientAddress: {
      header: options.clientIpHeader.trim().toLowerCase(),
      hops: options.clientIpHops,
    },
    maxBodyBytes: options.maxBodyBytes,
    retryAfterSeconds: options.retryAfterSeconds,
    addressLimiter: new RateLimiter({
      perMinute: options.addressRatePerMinute,
      burst: options.addressBurst,
      maxKeys: options.rateLimitKeys,
    }),
    peerLimiter: new RateLimiter({
      perMinute: options.peerRatePerMinute,
      burst: options.peerBurst,
      maxKeys: options.rateLimitKeys,
    }),
    budget: new InFlightBudget({
      maxRequests: options.maxConcurrentRequests,
      maxBytes: options.maxInFlightBytes,
      maxDecodedBytes: options.maxDecodedBytes,
      maxRequestsPerClient: share(options, options.maxConcurrentRequests, 1),
      maxBytesPerClient: share(options, options.maxInFlightBytes, options.maxDecodedBytes),
    }),
    sink: () => (ingest.closing ? undefined : ingest.sink),
  };
}

const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

class Ingest {
  readonly options: IngestOptions;
  readonly metrics = new IngestMetrics();
  readonly #log: Logger;
  readonly #routes: readonly IngestRoute[];
  readonly #replies: Replies;
  readonly #admission: AdmissionRules;
  readonly #push: PushContext;
  readonly #configBody: string | undefined;
  readonly #connections: ConnectionGuard;
  /** Requests past the built-in routes, awaited (bounded) on shutdown. */
  readonly #handlers = new Set<Promise<void>>();
  #sink: Sink | undefined;
  #http: Server | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(input: IngestServerOptions) {
    const { logger, sink, routes = [], ...rest } = input;
    this.options = resolveServerOptions(rest);
    // Settings that cannot work fail here, not at the first push.
    const kind = sink?.kind ?? sinkKind(this.options);
    this.#log = logger ?? createJsonLogger({ level: this.options.logLevel });
    this.#sink = sink;
    this.#routes = routes;
    this.#configBody = pushConfigBody(this.options);
    this.#replies = new Replies(this.metrics, this.#log, () => this.#closing);
    this.#admission = admissionRules(this.options, this);
    this.#connections = new ConnectionGuard({
      maxConnections: this.options.maxConnections,
      maxPerAddress: this.options.maxConnectionsPerAddress,
      loopbackReserve: LOOPBACK_RESERVE,
    });
    this.#push = {
      limits: {
        ...this.options,
        bodyRate: {
          minBytesPerSecond: this.options.minBodyBytesPerSecond,
          windowMs: this.options.bodyRateWindowMs,
        },
      },
      budget: this.#admission.budget,
      metrics: this.metrics,
      log: this.#log,
      replies: this.#replies,
    };
    this.#log.debug('configured', { sink: kind });
  }

  get sink(): Sink | undefined {
    return this.#sink;
  }

  get closing(): boolean {
    return this.#closing;
  }

  address(): AddressInfo | null {
    return (this.#http?.address() as AddressInfo | null | undefined) ?? null;
  }

  async listen(port?: number, host?: string): Promise<ListeningAddress> {
    if (this.#http !== undefined) throw new Error('ingest server: already listening');
    if (this.#closed !== undefined) throw new Error('ingest server: closed');
    const configured = parseListenAddress(this.options.listen);
    this.#sink ??= await openSink(this.options, {
      onGroup: (pushes) => this.metrics.groupPushes.observe([], pushes),
    });
    const sink = this.#sink;
    const server = createHttpServer(this.options, (req, res) => this.#route(req, res));
    server.on('connection', this.#connections.accept);
    this.#http = server;
    await listenOn(server, port ?? configured?.port ?? 8087, host ?? configured?.host);
    server.on('error', (error) => this.#log.error('server error', { error }));
    const address = server.address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#log.info('listening', {
      address: `${urlHost}:${address.port}`,
      sink: sink.kind,
      target: sink.target,
    });
    return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port };
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const replies = this.#replies;
    const connections = this.#connections;
    connections.active(req.socket);
    res.once('close', () => connections.idle(req.socket));
    if (path !== '/health' && connections.healthOnly(req.socket)) {
      replies.reply(res, busy({ connection: 'close' }), {});
      return;
    }
    if (path === '/health') {
      // A store that cannot write makes the ingest unready; its pushes are 503s meanwhile.
      const problem = this.#sink?.writeProblem;
      if (problem === undefined) replies.send(res, 200, 'ok', {});
      else
        replies.send(res, 503, `sink cannot write: ${problem}\n`, {
          'retry-after': String(this.options.retryAfterSeconds),
        });
      return;
    }
    if (path === '/config') {
      if (req.method !== 'GET') replies.send(res, 405, 'method not allowed\n', { allow: 'GET' });
      else if (this.#configBody === undefined)
        replies.send(res, 404, 'config not configured\n', {});
      else replies.send(res, 200, this.#configBody, { 'content-type': 'application/json' });
      return;
    }
    if (path === '/metrics') {
      if (req.method !== 'GET') replies.send(res, 405, 'method not allowed\n', { allow: 'GET' });
      else replies.send(res, 200, this.metrics.render(), { 'content-type': METRICS_TYPE });
      return;
    }
    const handler = this.#dispatch(req, res).catch((error: unknown) => {
      this.#log.error('request failed', { error });
      replies.send(res, 500, 'internal error\n', {});
    });
    this.#handlers.add(handler);
    void handler.finally(() => this.#handlers.delete(handler));
  }

  /** The extra routes in order, then the push catch-all. */
  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const r of this.#routes) if (await r(req, res)) return;
    const admitted = admitPush(req, this.#admission);
    if (!admitted.ok) return this.#replies.reply(res, admitted.reply, admitted.fields);
    await handlePush(req, res, admitted, this.#push);
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    const server = this.#http;
    if (server !== undefined) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs);
        timer.unref();
      });
      const finished = await Promise.race([
        Promise.allSettled([...this.#handlers]).then(() => 'done' as const),
        deadline,
      ]);
      if (finished === 'timeout') {
        this.#log.warn('shutdown: requests still running were cut off', {
          requests: this.#handlers.size,
        });
      }
      server.closeAllConnections();
      await stopped;
    }
    await this.#sink?.close();
    this.#log.info('stopped', {});
  }
}

/**
 * Node's server with the timeouts that keep slow clients from holding sockets. The number of
 * connections is not Node's to limit (it closes every new one at the limit, health checks too):
 * the ingest's connection guard decides at accept.
 */
function createHttpServer(
  options: IngestOptions,
  route: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  // Timeouts are enforced by a periodic sweep: often enough that each is kept to about a quarter
  // of its length, never more often than every 50 ms.
  const checkEvery = Math.max(
    50,
    Math.min(30_000, Math.floor(Math.min(options.headersTimeoutMs, options.requestTimeoutMs) / 4)),
  );
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkEvery,
      noDelay: true,
    },
    route,
  );
  return server;
}

function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

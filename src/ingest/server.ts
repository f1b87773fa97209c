import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkPeerIdHeader, PEER_ID_HEADER } from '../protocol/peer-id.js';
import { renderPushConfig } from '../protocol/push-config.js';

import { contentEncoding, readBody } from './body.js';
import { createJsonLogger, type Logger } from './logger.js';
import { IngestMetrics } from './metrics.js';
import {
  checkOptions,
  DEFAULT_OPTIONS,
  type IngestOptions,
  parseListenAddress,
} from './options.js';
import { RateLimiter } from './rate-limit.js';
import { openSink, sinkKind } from './sinks/select-sink.js';
import { type Sink, SinkRejectedError, SinkUnavailableError } from './sinks/sink.js';
import { LineValidator } from './validate/validate.js';

/** Node lower-cases the names of incoming headers. */
const PEER_ID_HEADER_NAME = PEER_ID_HEADER.toLowerCase();

/**
 * The ingest server (reference §5, DESIGN "ingest"): `POST` on any path takes a push, `/health`,
 * `/config` and `/metrics` answer GETs. A push is answered 2xx only after the sink has stored it:
 * 204 when stored, 400 for an invalid body (the first bad line and why), 401 for a missing or
 * malformed X-Peer-ID, 405, 413 for a body past a cap, 415 for an encoding other than gzip,
 * 429 with Retry-After over the rate limit, 503 with Retry-After when the database is down,
 * slow or failing, and the database's own 4xx relayed.
 */

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

interface Reply {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  readonly headers?: OutgoingHttpHeaders;
}

const TEXT = 'text/plain; charset=utf-8';

export function createIngestServer(input: IngestServerOptions = {}): IngestServer {
  const { logger: givenLogger, sink: givenSink, routes = [], ...rest } = input;
  const options: IngestOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  checkOptions(options);
  // Settings that cannot work fail here, not at the first push.
  const kind = givenSink?.kind ?? sinkKind(options);
  const log = givenLogger ?? createJsonLogger({ level: options.logLevel });
  const metrics = new IngestMetrics();
  // Without a server URL there is nothing to tell clients: `/config` answers 404.
  const configBody =
    options.configServerUrl === ''
      ? undefined
      : renderPushConfig({
          serverUrl: options.configServerUrl,
          versionSince: options.configVersionSince,
          versionUntil: options.configVersionUntil,
          periodMinutes: options.configPeriodMinutes,
        });
  const peerLimiter = new RateLimiter({
    perMinute: options.peerRatePerMinute,
    burst: options.peerBurst,
    maxKeys: options.rateLimitKeys,
  });
  const addressLimiter = new RateLimiter({
    perMinute: options.addressRatePerMinute,
    burst: options.addressBurst,
    maxKeys: options.rateLimitKeys,
  });
  const clientIpHeader = options.clientIpHeader.trim().toLowerCase();

  let sink: Sink | undefined = givenSink;
  let http: Server | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let inFlight = 0;
  let inFlightBytes = 0;
  const handlers = new Set<Promise<void>>();

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: OutgoingHttpHeaders,
  ) => {
    if (res.headersSent || res.destroyed) return;
    // Closing, or a body left unread: end the connection rather than read the rest for reuse.
    const extra: OutgoingHttpHeaders =
      closing || res.req.complete === false ? { connection: 'close' } : {};
    res.writeHead(status, { 'content-type': TEXT, ...headers, ...extra });
    res.end(body);
  };

  const reply = (res: ServerResponse, r: Reply, fields: Record<string, unknown> = {}) => {
    metrics.requests.inc([String(r.status), r.reason]);
    if (r.status >= 500)
      log.error('push not stored', {
        status: r.status,
        reason: r.reason,
        error: r.message,
        ...fields,
      });
    else if (r.status === 429) log.debug('push rate limited', { status: r.status, ...fields });
    else if (r.status >= 400)
      log.warn('push refused', { status: r.status, reason: r.reason, error: r.message, ...fields });
    send(res, r.status, r.status === 204 ? '' : `${r.message}\n`, r.headers ?? {});
  };

  const clientAddress = (req: IncomingMessage): string => {
    if (clientIpHeader !== '') {
      const value = req.headers[clientIpHeader];
      const text = Array.isArray(value) ? value.join(',') : value;
      const last = text?.split(',').pop()?.trim();
      if (last !== undefined && last !== '') return last;
    }
    return req.socket.remoteAddress ?? 'unknown';
  };

  const rateLimited = (res: ServerResponse, waitSeconds: number, fields: Record<string, unknown>) =>
    reply(
      res,
      {
        status: 429,
        reason: 'rate limited',
        message: 'too many requests',
        headers: { 'retry-after': String(waitSeconds) },
      },
      fields,
    );

  async function ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return reply(res, {
        status: 405,
        reason: 'method not allowed',
        message: 'method not allowed',
        headers: { allow: 'POST' },
      });
    }
    const remote = clientAddress(req);
    if (closing || sink === undefined) {
      return reply(
        res,
        {
          status: 503,
          reason: 'shutting down',
          message: 'shutting down',
          headers: { 'retry-after': String(options.retryAfterSeconds), connection: 'close' },
        },
        { remote },
      );
    }
    const addressWait = addressLimiter.take(remote);
    if (addressWait > 0) return rateLimited(res, addressWait, { remote });
    const peer = checkPeerIdHeader(req.headers[PEER_ID_HEADER_NAME]);
    if (!peer.ok)
      return reply(
        res,
        { status: 401, reason: 'invalid peer id', message: peer.message },
        { remote },
      );
    const peerWait = peerLimiter.take(peer.peerId);
    if (peerWait > 0) return rateLimited(res, peerWait, { remote, peer: peer.peerId });
    const encoding = contentEncoding(req.headers['content-encoding']);
    if (encoding === undefined) {
      return reply(
        res,
        {
          status: 415,
          reason: 'unsupported encoding',
          message: `unsupported content encoding: ${JSON.stringify(req.headers['content-encoding'])} (use gzip or none)`,
        },
        { remote, peer: peer.peerId },
      );
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.maxBodyBytes) {
      return reply(
        res,
        {
          status: 413,
          reason: 'body too large',
          message: 'body too large',
          headers: { connection: 'close' },
        },
        { remote, peer: peer.peerId },
      );
    }
    if (inFlight >= options.maxConcurrentRequests) {
      return reply(
        res,
        {
          status: 503,
          reason: 'busy',
          message: 'server busy',
          headers: { 'retry-after': '1', connection: 'close' },
        },
        { remote, peer: peer.peerId },
      );
    }

    inFlight++;
    metrics.inFlight.add(1);
    let reserved = 0;
    try {
      const stored = sink;
      const validator = new LineValidator({
        maxLines: options.maxLines,
        maxLineLength: options.maxLineBytes,
        // Files imported later need each line's time; a database stamps lines itself.
        missingTimestamp: stored.kind === 'embedded' ? BigInt(Date.now()) * 1_000_000n : undefined,
      });
      let overBudget = false;
      let decodedHeld = 0;
      let rawHeld = 0;
      // For an upstream that sends gzip, the client's gzip is kept too, but only while this
      // push's whole decoded body would still fit the budget: keeping it must never be the
      // reason a push is refused. Refused once, what was kept is let go (readBody drops it).
      const keepRaw =
        stored.forwardsGzip === true
          ? (chunk: Buffer) => {
              const room = options.maxInFlightBytes - inFlightBytes;
              if (chunk.length + options.maxDecodedBytes - decodedHeld > room) {
                inFlightBytes -= rawHeld;
                reserved -= rawHeld;
                rawHeld = 0;
                return false;
              }
              inFlightBytes += chunk.length;
              reserved += chunk.length;
              rawHeld += chunk.length;
              return true;
            }
          : undefined;
      const body = await readBody(
        req,
        encoding,
        { maxRawBytes: options.maxBodyBytes, maxDecodedBytes: options.maxDecodedBytes },
        (chunk) => {
          if (inFlightBytes + chunk.length > options.maxInFlightBytes) {
            overBudget = true;
            return false;
          }
          inFlightBytes += chunk.length;
          reserved += chunk.length;
          decodedHeld += chunk.length;
          return validator.push(chunk);
        },
        { keepRaw },
      );
      metrics.bytes.inc(['raw'], body.rawBytes);
      metrics.bytes.inc(['decoded'], body.decodedBytes);
      const fields = { remote, peer: peer.peerId };
      const close: OutgoingHttpHeaders = body.complete ? {} : { connection: 'close' };
      switch (body.problem) {
        case 'aborted':
          metrics.requests.inc(['499', 'client aborted']);
          log.debug('client went away', fields);
          return;
        case 'raw too large':
        case 'decoded too large':
          return reply(
            res,
            { status: 413, reason: 'body too large', message: 'body too large', headers: close },
            fields,
          );
        case 'invalid gzip':
          return reply(
            res,
            { status: 400, reason: 'invalid gzip', message: body.message, headers: close },
            fields,
          );
        case 'stopped':
          if (overBudget) {
            return reply(
              res,
              {
                status: 503,
                reason: 'busy',
                message: 'server busy',
                headers: { 'retry-after': '1', ...close },
              },
              fields,
            );
          }
          break;
        case undefined:
          break;
      }
      const result = validator.end();
      if (!result.ok) {
        metrics.invalidLines.inc([result.reason]);
        const status = result.reason === 'too many lines' ? 413 : 400;
        return reply(
          res,
          {
            status,
            reason: status === 413 ? 'too many lines' : 'invalid line',
            message: result.message,
            headers: close,
          },
          fields,
        );
      }

      const aborted = new AbortController();
      const onGone = () => {
        if (!res.writableFinished) aborted.abort();
      };
      res.once('close', onGone);
      const started = performance.now();
      try {
        // Nothing normalised or skipped, and no newline added at the end: the lines forwarded
        // are the decoded body byte for byte, so the client's gzip is them.
        const unchanged =
          result.normalisedLines === 0 &&
          result.skippedLines === 0 &&
          result.byteLength === body.decodedBytes;
        await stored.write(
          {
            pieces: result.pieces,
            byteLength: result.byteLength,
            lines: result.lines,
            gzip: unchanged ? body.raw : undefined,
          },
          aborted.signal,
        );
        metrics.upstreamRequests.inc([stored.kind, 'ok']);
      } catch (error) {
        const outcome = error instanceof SinkRejectedError ? 'rejected' : 'unavailable';
        metrics.upstreamRequests.inc([stored.kind, outcome]);
        if (error instanceof SinkRejectedError) {
          return reply(
            res,
            { status: error.status, reason: 'upstream rejected', message: error.message },
            fields,
          );
        }
        if (error instanceof SinkUnavailableError) {
          const after = error.retryAfterSeconds ?? options.retryAfterSeconds;
          return reply(
            res,
            {
              status: 503,
              reason: 'upstream unavailable',
              message: error.message,
              headers: { 'retry-after': String(after) },
            },
            fields,
          );
        }
        log.error('sink failed unexpectedly', { error, ...fields });
        return reply(
          res,
          { status: 500, reason: 'internal error', message: 'internal error' },
          fields,
        );
      } finally {
        res.off('close', onGone);
        metrics.upstreamDuration.observe([stored.kind], (performance.now() - started) / 1000);
      }
      metrics.lines.inc(['stored'], result.lines);
      if (result.normalisedLines > 0) metrics.lines.inc(['normalised'], result.normalisedLines);
      if (result.skippedLines > 0) metrics.lines.inc(['skipped'], result.skippedLines);
      reply(res, { status: 204, reason: 'stored', message: '' });
      log.debug('push stored', { lines: result.lines, bytes: result.byteLength, ...fields });
    } finally {
      inFlightBytes -= reserved;
      inFlight--;
      metrics.inFlight.add(-1);
    }
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/health') {
      send(res, 200, 'ok', {});
      return;
    }
    if (path === '/config') {
      if (req.method !== 'GET') send(res, 405, 'method not allowed\n', { allow: 'GET' });
      else if (configBody === undefined) send(res, 404, 'config not configured\n', {});
      else send(res, 200, configBody, { 'content-type': 'application/json' });
      return;
    }
    if (path === '/metrics') {
      if (req.method !== 'GET') send(res, 405, 'method not allowed\n', { allow: 'GET' });
      else
        send(res, 200, metrics.render(), {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        });
      return;
    }
    const handler = extraRoutes(req, res).catch((error: unknown) => {
      log.error('request failed', { error });
      send(res, 500, 'internal error\n', {});
    });
    handlers.add(handler);
    void handler.finally(() => handlers.delete(handler));
  }

  async function extraRoutes(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const r of routes) if (await r(req, res)) return;
    await ingest(req, res);
  }

  async function listen(port?: number, host?: string): Promise<ListeningAddress> {
    if (http !== undefined) throw new Error('ingest server: already listening');
    if (closed !== undefined) throw new Error('ingest server: closed');
    const configured = parseListenAddress(options.listen);
    const bindPort = port ?? configured?.port ?? 8087;
    const bindHost = host ?? configured?.host;
    sink ??= await openSink(options);
    const checkEvery = Math.max(
      50,
      Math.min(
        30_000,
        Math.floor(Math.min(options.headersTimeoutMs, options.requestTimeoutMs) / 4),
      ),
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
    server.maxConnections = options.maxConnections;
    http = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: bindPort, host: bindHost }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.error('server error', { error }));
    const address = server.address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    log.info('listening', {
      address: `${urlHost}:${address.port}`,
      sink: sink.kind,
      target: sink.target,
    });
    return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port };
  }

  async function shutdown(): Promise<void> {
    closing = true;
    const server = http;
    if (server !== undefined) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), options.shutdownTimeoutMs);
        timer.unref();
      });
      const finished = await Promise.race([
        Promise.allSettled([...handlers]).then(() => 'done' as const),
        deadline,
      ]);
      if (finished === 'timeout')
        log.warn('shutdown: requests still running were cut off', { requests: handlers.size });
      server.closeAllConnections();
      await stopped;
    }
    await sink?.close();
    log.info('stopped', {});
  }

  log.debug('configured', { sink: kind });
  return {
    listen,
    close: () => {
      closed ??= shutdown();
      return closed;
    },
    address: () => (http?.address() as AddressInfo | null | undefined) ?? null,
    metrics,
    get sink() {
      return sink;
    },
    options,
  };
}

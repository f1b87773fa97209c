// What the ingest answers to a push: each outcome as a status, reason (the metric label), message
// and headers, and the one place that counts, logs and writes an answer.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { LogFields, Logger } from '../logger.js';
import type { IngestMetrics } from '../metrics.js';
import { type RefusedLines, SinkRejectedError, SinkUnavailableError } from '../sinks/sink.js';
import type { ValidationFailure, ValidationSuccess } from '../validate/result.js';

export interface Reply {
  readonly status: number;
  /** The `reason` label of `netbird_ingest_requests_total`: a fixed set, so series stay bounded. */
  readonly reason: string;
  readonly message: string;
  readonly headers?: OutgoingHttpHeaders;
}

const TEXT = 'text/plain; charset=utf-8';
const CLOSE: OutgoingHttpHeaders = { connection: 'close' };
const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});
/** The headers of most answers, built once rather than spread together per answer. */
const PLAIN: OutgoingHttpHeaders = Object.freeze({ 'content-type': TEXT });

/**
 * Writes answers. `closing` is asked at each answer: a server that is shutting down ends every
 * connection it answers, so clients reconnect to another instance.
 */
export class Replies {
  readonly #metrics: IngestMetrics;
  readonly #log: Logger;
  readonly #closing: () => boolean;

  constructor(metrics: IngestMetrics, log: Logger, closing: () => boolean) {
    this.#metrics = metrics;
    this.#log = log;
    this.#closing = closing;
  }

  /** Writes an answer unless one was written or the client is gone. */
  send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders): void {
    if (res.headersSent || res.destroyed) return;
    // Closing, or a body left unread: end the connection rather than read the rest for reuse.
    const extra = this.#closing() || res.req.complete === false ? CLOSE : undefined;
    const plain = extra === undefined && (headers === NO_HEADERS || isEmpty(headers));
    res.writeHead(status, plain ? PLAIN : { 'content-type': TEXT, ...headers, ...extra });
    res.end(body);
  }

  /** Answers a push: counted by status and reason, logged by severity. */
  reply(res: ServerResponse, r: Reply, fields: LogFields = {}): void {
    this.#metrics.requests.inc([String(r.status), r.reason]);
    if (r.status >= 500) {
      this.#log.error('push not stored', {
        status: r.status,
        reason: r.reason,
        error: r.message,
        ...fields,
      });
    } else if (r.status === 429) {
      this.#log.debug('push rate limited', { status: r.status, ...fields });
    } else if (r.status >= 400) {
      this.#log.warn('push refused', {
        status: r.status,
        reason: r.reason,
        error: r.message,
        ...fields,
      });
    }
    this.send(res, r.status, r.status === 204 ? '' : `${r.message}\n`, r.headers ?? NO_HEADERS);
  }

  /** The client went away before its body was read: nothing can be answered, only counted. */
  aborted(fields: LogFields): void {
    this.#metrics.requests.inc(['499', 'client aborted']);
    this.#log.debug('client went away', fields);
  }

  /**
   * Stored: counts the lines, answers 204. With `refused`, a database limit kept those lines out
   * while the rest is stored: still 204, since telling the client to keep the batch would only
   * make it send the stored lines again; the refused ones are logged with the limit named.
   */
  stored(
    res: ServerResponse,
    result: ValidationSuccess,
    fields: LogFields,
    refused?: RefusedLines,
  ): void {
    const { lines } = this.#metrics;
    lines.inc(['stored'], result.lines - (refused?.refused ?? 0));
    if (result.normalisedLines > 0) lines.inc(['normalised'], result.normalisedLines);
    if (result.skippedLines > 0) lines.inc(['skipped'], result.skippedLines);
    if (refused !== undefined) {
      const { limit, stored, message } = refused;
      this.#log.warn('database limit refused lines', {
        limit,
        refused: refused.refused,
        stored,
        error: message,
        ...fields,
      });
    }
    this.reply(res, refused === undefined ? STORED : PARTLY_STORED);
    this.#log.debug('push stored', { lines: result.lines, bytes: result.byteLength, ...fields });
  }
}

function isEmpty(headers: OutgoingHttpHeaders): boolean {
  for (const _ in headers) return false;
  return true;
}

export const STORED: Reply = { status: 204, reason: 'stored', message: '' };
export const PARTLY_STORED: Reply = { status: 204, reason: 'partly stored', message: '' };

export const METHOD_NOT_ALLOWED: Reply = {
  status: 405,
  reason: 'method not allowed',
  message: 'method not allowed',
  headers: { allow: 'POST' },
};

export function shuttingDown(retryAfterSeconds: number): Reply {
  return {
    status: 503,
    reason: 'shutting down',
    message: 'shutting down',
    headers: { 'retry-after': String(retryAfterSeconds), connection: 'close' },
  };
}

export function rateLimited(waitSeconds: number): Reply {
  return {
    status: 429,
    reason: 'rate limited',
    message: 'too many requests',
    headers: { 'retry-after': String(waitSeconds) },
  };
}

export function invalidPeerId(message: string): Reply {
  return { status: 401, reason: 'invalid peer id', message };
}

export function unsupportedEncoding(header: string | undefined): Reply {
  return {
    status: 415,
    reason: 'unsupported encoding',
    message: `unsupported content encoding: ${JSON.stringify(header)} (use gzip or none)`,
  };
}

export function bodyTooLarge(headers: OutgoingHttpHeaders): Reply {
  return { status: 413, reason: 'body too large', message: 'body too large', headers };
}

/** Too many requests or bytes in flight: a short wait, and a fresh connection. */
export function busy(headers: OutgoingHttpHeaders): Reply {
  return {
    status: 503,
    reason: 'busy',
    message: 'server busy',
    headers: { 'retry-after': '1', ...headers },
  };
}

/** A body that arrived below the least rate: cut off, so its slot goes to someone else. */
export const BODY_TOO_SLOW: Reply = {
  status: 408,
  reason: 'body too slow',
  message: 'request body too slow',
  headers: { connection: 'close' },
};

export function invalidGzip(message: string, headers: OutgoingHttpHeaders): Reply {
  return { status: 400, reason: 'invalid gzip', message, headers };
}

/** A body the validator refused: too many lines is a size cap (413), anything else 400. */
export function invalidBody(failure: ValidationFailure, headers: OutgoingHttpHeaders): Reply {
  const tooMany = failure.reason === 'too many lines';
  return {
    status: tooMany ? 413 : 400,
    reason: tooMany ? 'too many lines' : 'invalid line',
    message: failure.message,
    headers,
  };
}

/**
 * A failed sink write. The database's own refusal is relayed; an outage is 503 with the wait the
 * database asked for (else `retryAfterSeconds`), so clients keep the batch and come back.
 * Undefined for an error no sink should throw.
 */
export function sinkFailed(error: unknown, retryAfterSeconds: number): Reply | undefined {
  if (error instanceof SinkRejectedError) {
    return { status: error.status, reason: 'upstream rejected', message: error.message };
  }
  if (error instanceof SinkUnavailableError) {
    const after = error.retryAfterSeconds ?? retryAfterSeconds;
    return {
      status: 503,
      reason: 'upstream unavailable',
      message: error.message,
      headers: { 'retry-after': String(after) },
    };
  }
  return undefined;
}

/**
 * A database limit refused the push and none of it is known to be stored: 503, so the client
 * keeps the lines and sends them again (a limit is the database's setting, not the data's fault).
 */
export function limitRefused(refused: RefusedLines, retryAfterSeconds: number): Reply {
  return {
    status: 503,
    reason: 'database limit',
    message: `database limit ${refused.limit} reached: ${refused.message}`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

export const INTERNAL_ERROR: Reply = {
  status: 500,
  reason: 'internal error',
  message: 'internal error',
};

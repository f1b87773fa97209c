// Writes line protocol to an InfluxDB-compatible HTTP endpoint (InfluxDB 1.x/2.x/3.x,
// VictoriaMetrics). 2xx: stored. 408, 429, 5xx, timeouts and transport errors: unavailable (the
// client retries later). 401, 403 and 404 mean the ingest itself is misconfigured (token,
// database, bucket): also unavailable, because a client that was told 4xx would drop valid
// data for an operator's mistake. Other 4xx (the data itself): rejected, relayed with the
// upstream's message. A 400 that names a database limit (InfluxDB's `max-values-per-tag`,
// `max-series-per-database`) is not about the data: the lines it refused are counted and the rest
// stored (store-around-limits.ts).
//
// With `gzip` on (the default), each write is encoded as wire-encoding.ts chooses: plain when
// small, gzip when large (InfluxDB 1.x limits bodies on the wire), the clients' own gzip passed
// on wherever it stands for their lines (re-compressing was the largest CPU cost of the ingest).
//
// Connections are undici's Pool (the HTTP/1.1 client behind Node's own fetch): kept alive, at most
// `maxSockets` of them, further writes queued until one is free. node:http's ClientRequest and
// IncomingMessage cost about twice its CPU per write, and an HTTP client is not ours to write.
//
// A kept-alive connection the upstream closed while it was idle fails the next request on it
// before any answer; such a request is sent once more on a new connection instead of costing
// the client a 503. Sending twice is safe: a point is identified by series and timestamp.
import { EventEmitter } from 'node:events';
import { type Dispatcher, errors, Pool } from 'undici';
import { classifyStatus, parseRetryAfter } from '../../protocol/http-retry.js';
import { parseLimitRefusal } from './influx-limit-error.js';
import {
  type LineBatch,
  type RefusedLines,
  type Sink,
  type SinkKind,
  SinkRejectedError,
  SinkUnavailableError,
} from './sink.js';
import { storeAroundLimits, type UpstreamAnswer } from './store-around-limits.js';
import { encodeWire, planWire, type WireBody } from './wire-encoding.js';

export interface HttpUpstreamOptions {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  /** The complete write URL, query included, without credentials. */
  readonly url: URL;
  /** Extra request headers (authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly gzip: boolean;
  /** With `gzip`: writes are compressed from this size on (see wire-encoding.ts). */
  readonly gzipMinBytes?: number;
  /** Connections to the upstream at most (kept alive); further writes wait for one. */
  readonly maxSockets?: number;
  /** Upstream response bytes kept for messages; the rest is not read. */
  readonly maxResponseBytes?: number;
}

/** Below this a write is sent uncompressed (a client push is a few KiB). */
export const DEFAULT_GZIP_MIN_BYTES = 64 * 1024;
/** The ingest's default INGEST_MAX_CONCURRENT_REQUESTS: every push can have its connection. */
const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Retry-After values outside this range are clamped. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/** The upstream's answer: status, the start of its body, its Retry-After. */
interface UpstreamReply extends UpstreamAnswer {
  readonly retryAfter: string | undefined;
}

/** Why a write was cut short by the sink itself. */
type Cancel = 'timeout' | 'client gone';

/** A write in flight, so the timeout or the client going away can stop it. */
interface Attempt {
  cancelled: Cancel | undefined;
  /** Set while a request is queued or on the wire. */
  stop: (() => void) | undefined;
}

/** The request failed on a reused keep-alive connection before any answer. */
class StaleConnectionError extends Error {
  constructor(readonly original: unknown) {
    super('stale keep-alive connection');
  }
}

/** What a stopped request rejects with. */
const STOPPED = new Error('upstream request stopped');

export class HttpUpstreamSink implements Sink {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  readonly target: string;
  readonly forwardsGzip: boolean;
  readonly #options: HttpUpstreamOptions;
  readonly #pool: Pool;
  readonly #path: string;
  /** Request headers, plain and gzip, as undici's flat name/value lists: built once. */
  readonly #plainHeaders: string[];
  readonly #gzipHeaders: string[];
  readonly #gzipMinBytes: number;
  readonly #maxResponseBytes: number;

  constructor(options: HttpUpstreamOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.forwardsGzip = options.gzip;
    this.#gzipMinBytes = options.gzipMinBytes ?? DEFAULT_GZIP_MIN_BYTES;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    // The sink's own timer bounds a whole write, so undici's header and body timers stay off.
    this.#pool = new Pool(options.url.origin, {
      connections: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.#path = `${options.url.pathname}${options.url.search}`;
    this.#plainHeaders = requestHeaders(options.url, options.headers);
    this.#gzipHeaders = [...this.#plainHeaders, 'content-encoding', 'gzip'];
    this.target = safeUrl(options.url);
  }

  async write(batch: LineBatch, signal?: AbortSignal): Promise<RefusedLines | undefined> {
    const response = await this.#exchange(batch, signal);
    const refusal = parseLimitRefusal(response.status, response.body);
    if (refusal === undefined) {
      this.#accept(response);
      return undefined;
    }
    return storeAroundLimits(
      batch,
      refusal,
      (rest) => this.#exchange(rest, signal),
      (answer) => this.#accept(answer),
    );
  }

  /** Returns on a 2xx; throws the sink error for any other answer. */
  #accept(response: UpstreamAnswer & { readonly retryAfter?: string | undefined }): void {
    const { status, body: text } = response;
    const verdict = classifyStatus(status);
    if (verdict === 'success') return;
    const detail = text.trim() === '' ? `upstream answered ${status}` : text.trim();
    if (verdict === 'reject') throw new SinkRejectedError(status, detail);
    throw new SinkUnavailableError(
      `upstream answered ${status}: ${detail}`,
      retryAfterSeconds(response.retryAfter, Date.now()),
    );
  }

  /** One write on the wire, bounded by the timeout and the client staying: the answer. */
  async #exchange(batch: LineBatch, signal: AbortSignal | undefined): Promise<UpstreamReply> {
    const { timeoutMs } = this.#options;
    const body = await encodeWire(
      planWire(batch, { gzip: this.#options.gzip, gzipMinBytes: this.#gzipMinBytes }),
    );
    const attempt: Attempt = { cancelled: undefined, stop: undefined };
    const cancel = (why: Cancel) => {
      if (attempt.cancelled !== undefined) return;
      attempt.cancelled = why;
      attempt.stop?.();
    };
    // A timer and a listener rather than AbortSignal.timeout/any: no signal objects (and no
    // AbortError with its stack) per write.
    const timer = setTimeout(cancel, timeoutMs, 'timeout');
    const onGone = () => cancel('client gone');
    if (signal?.aborted) attempt.cancelled = 'client gone';
    else signal?.addEventListener('abort', onGone, { once: true });
    try {
      try {
        return await this.#post(body, attempt);
      } catch (error) {
        if (!(error instanceof StaleConnectionError) || attempt.cancelled !== undefined)
          throw error;
        return await this.#post(body, attempt);
      }
    } catch (error) {
      if (attempt.cancelled === 'timeout') {
        throw new SinkUnavailableError(`upstream timed out after ${timeoutMs} ms`);
      }
      if (attempt.cancelled === 'client gone') throw new SinkUnavailableError('client went away');
      const cause = error instanceof StaleConnectionError ? error.original : error;
      throw new SinkUnavailableError(`upstream unreachable: ${failureName(cause)}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onGone);
    }
  }

  /** Ends every connection: a write on one fails, writes still queued fail without being sent. */
  async close(): Promise<void> {
    const closed: NodeJS.ErrnoException = new Error('upstream connections closed');
    closed.code = 'ECONNRESET';
    await this.#pool.destroy(closed);
  }

  /**
   * One request. Stopping settles it at once, also while it waits for a connection (undici
   * would settle a queued request only once a connection takes it, and then not send it).
   */
  #post(body: WireBody, attempt: Attempt): Promise<UpstreamReply> {
    if (attempt.cancelled !== undefined) return Promise.reject(STOPPED);
    return new Promise<UpstreamReply>((resolve, reject) => {
      // undici takes an EventEmitter as the signal: cheaper than an AbortController per write.
      const signal = new EventEmitter();
      const stop = () => {
        signal.emit('abort');
        reject(STOPPED);
      };
      attempt.stop = stop;
      this.#pool
        .request({
          method: 'POST',
          path: this.#path,
          headers: body.gzip ? this.#gzipHeaders : this.#plainHeaders,
          body: body.pieces.length === 1 ? body.pieces[0] : Buffer.concat(body.pieces, body.length),
          signal,
        })
        .then(
          (response) => readReply(response, this.#maxResponseBytes),
          (error: unknown) => {
            throw stale(error) ? new StaleConnectionError(error) : error;
          },
        )
        .finally(() => {
          // A retry may have set its own by now.
          if (attempt.stop === stop) attempt.stop = undefined;
        })
        .then(resolve, reject);
    });
  }
}

/** Status, Retry-After and at most `limit` bytes of the body; past that the body is not read. */
function readReply(response: Dispatcher.ResponseData, limit: number): Promise<UpstreamReply> {
  const { statusCode: status, headers, body } = response;
  const header = headers['retry-after'];
  const retryAfter = Array.isArray(header) ? header[0] : header;
  return new Promise<UpstreamReply>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const done = () =>
      resolve({
        status,
        body: chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8'),
        retryAfter,
      });
    body.on('data', (chunk: Buffer) => {
      if (kept >= limit) return;
      chunks.push(chunk.subarray(0, limit - kept));
      kept += Math.min(chunk.length, limit - kept);
      // Enough for a message: stop reading (the connection is not reused).
      if (kept >= limit) {
        body.destroy();
        done();
      }
    });
    body.on('end', done);
    body.on('error', (error) => (kept >= limit ? done() : reject(error)));
  });
}

/**
 * Whether a request failed before any answer on a connection that had carried answers before
 * (it read bytes): an idle connection the upstream had closed, which never saw this request.
 */
function stale(error: unknown): boolean {
  if (!(error instanceof errors.SocketError)) return false;
  return (error.socket?.bytesRead ?? 0) > 0;
}

/** How a transport failure is named in messages. */
function failureName(error: unknown): string {
  // undici's "other side closed": the connection ended before an answer, which node:http
  // calls ECONNRESET (socket hang up); keeping that name keeps logs and alerts matching.
  if (error instanceof errors.SocketError && /closed/.test(error.message)) return 'ECONNRESET';
  if (error instanceof errors.UndiciError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** The fixed request headers of a write to `url`, as a flat name/value list. */
function requestHeaders(url: URL, extra: Readonly<Record<string, string>>): string[] {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    ...extra,
  };
  // Credentials left in the URL go as basic auth, as node:http sent them.
  if (headers.authorization === undefined && (url.username !== '' || url.password !== '')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return Object.entries(headers).flat();
}

/**
 * The upstream's Retry-After as the whole seconds relayed to clients: at least 1, so a client is
 * never told to come back at once, and at most an hour; undefined when absent or unreadable.
 */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | undefined {
  const ms = parseRetryAfter(value, nowMs);
  if (ms === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}

/** The URL without user, password or `p` parameter, for messages and logs. */
export function safeUrl(url: URL): string {
  const copy = new URL(url.toString());
  copy.username = '';
  copy.password = '';
  if (copy.searchParams.has('p')) copy.searchParams.set('p', '***');
  if (copy.searchParams.has('password')) copy.searchParams.set('password', '***');
  return copy.toString();
}

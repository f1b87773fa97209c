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
// A kept-alive connection the upstream closed while it was idle fails the next request on it
// before any answer; such a request is sent once more on a new connection instead of costing
// the client a 503. Sending twice is safe: a point is identified by series and timestamp.
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
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

interface UpstreamResponse {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** Why a write was cut short by the sink itself. */
type Cancel = 'timeout' | 'client gone';

/** A request in flight, so the timeout or the client going away can stop it. */
interface Attempt {
  cancelled: Cancel | undefined;
  request: ClientRequest | undefined;
}

/** The request failed on a reused keep-alive connection before any answer. */
class StaleConnectionError extends Error {
  constructor(readonly original: unknown) {
    super('stale keep-alive connection');
  }
}

const CANCELLED = new Error('upstream request cancelled');

export class HttpUpstreamSink implements Sink {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  readonly target: string;
  readonly forwardsGzip: boolean;
  readonly #options: HttpUpstreamOptions;
  readonly #agent: HttpAgent;
  readonly #send: typeof httpRequest;
  /** Everything but the headers that change per request, computed once. */
  readonly #request: RequestOptions;
  readonly #gzipMinBytes: number;

  constructor(options: HttpUpstreamOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.forwardsGzip = options.gzip;
    this.#gzipMinBytes = options.gzipMinBytes ?? DEFAULT_GZIP_MIN_BYTES;
    const https = options.url.protocol === 'https:';
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.#agent = https
      ? new HttpsAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
      : new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.#send = https ? httpsRequest : httpRequest;
    this.#request = { ...urlToHttpOptions(options.url), method: 'POST', agent: this.#agent };
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
  async #exchange(batch: LineBatch, signal: AbortSignal | undefined): Promise<UpstreamResponse> {
    const { timeoutMs } = this.#options;
    const body = await encodeWire(
      planWire(batch, { gzip: this.#options.gzip, gzipMinBytes: this.#gzipMinBytes }),
    );
    const attempt: Attempt = { cancelled: undefined, request: undefined };
    const cancel = (why: Cancel) => {
      if (attempt.cancelled !== undefined) return;
      attempt.cancelled = why;
      attempt.request?.destroy(CANCELLED);
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
      const code = (cause as NodeJS.ErrnoException).code;
      throw new SinkUnavailableError(
        `upstream unreachable: ${code ?? (cause instanceof Error ? cause.message : String(cause))}`,
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onGone);
    }
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #post(body: WireBody, attempt: Attempt): Promise<UpstreamResponse> {
    if (attempt.cancelled !== undefined) return Promise.reject(CANCELLED);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      ...this.#options.headers,
    };
    if (body.gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    const limit = this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let answered = false;
      const req = this.#send({ ...this.#request, headers });
      attempt.request = req;
      // Once the upstream has answered, a failure to finish sending (it may stop reading
      // early, e.g. with 413) does not change the answer.
      const fail = (error: unknown) => {
        if (answered) return;
        // An idle connection the upstream had closed: it never saw this request.
        const code = (error as NodeJS.ErrnoException).code;
        const stale =
          req.reusedSocket && error !== CANCELLED && (code === 'ECONNRESET' || code === 'EPIPE');
        reject(stale ? new StaleConnectionError(error) : error);
      };
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            body: chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8'),
            retryAfter: headerValue(res.headers['retry-after']),
          });
        res.on('data', (chunk: Buffer) => {
          if (kept >= limit) return;
          chunks.push(chunk.subarray(0, limit - kept));
          kept += Math.min(chunk.length, limit - kept);
          // Enough for a message: stop reading (the connection is not reused).
          if (kept >= limit) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', (error) => (kept >= limit ? done() : reject(error)));
        // Cut off (e.g. by the timeout) before the end: settle rather than wait.
        res.on('close', () => {
          if (!res.complete && kept < limit) reject(new Error('upstream response cut off'));
        });
      });
      // One write for headers and a one-piece body; several pieces leave in one go too.
      if (body.pieces.length === 1) req.end(body.pieces[0]);
      else {
        req.cork();
        for (const piece of body.pieces) req.write(piece);
        req.end();
      }
    });
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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

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
import { classifyStatus, parseRetryAfter } from '../../protocol/http-retry.js';
import {
  type Http1Answer,
  Http1Client,
  STOPPED,
  StaleConnectionError,
  type StopHandle,
} from './http1-client.js';
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

/**
 * Below this a write is sent uncompressed: as large as a default combined write, since InfluxDB
 * 1.6 spent 15-25 % less CPU per line on plain writes than on gzip at every size measured
 * (50 to 5,000 lines). Larger writes go gzip: InfluxDB 1.x refuses more than 25 MB on the wire.
 */
export const DEFAULT_GZIP_MIN_BYTES = 4 * 1024 * 1024;
/** The ingest's default INGEST_MAX_CONCURRENT_REQUESTS: every push can have its connection. */
const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Retry-After values outside this range are clamped. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/** Why a write was cut short by the sink itself. */
type Cancel = 'timeout' | 'client gone';

/** A write in flight, so the timeout or the client going away can stop it. */
interface Attempt extends StopHandle {
  cancelled: Cancel | undefined;
}

/** Header names and values as HTTP allows them: no line breaks that would inject headers. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export class HttpUpstreamSink implements Sink {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  readonly target: string;
  readonly forwardsGzip: boolean;
  readonly #options: HttpUpstreamOptions;
  readonly #client: Http1Client;
  /** The request line and the headers that are the same for every write. */
  readonly #head: string;
  /** Headers that cannot be sent, found once: every write fails with it (as node:http did). */
  readonly #headProblem: Error | undefined;
  readonly #gzipMinBytes: number;

  constructor(options: HttpUpstreamOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.forwardsGzip = options.gzip;
    this.#gzipMinBytes = options.gzipMinBytes ?? DEFAULT_GZIP_MIN_BYTES;
    this.#client = new Http1Client(options.url, {
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    const head = requestHead(options.url, options.headers);
    this.#head = typeof head === 'string' ? head : '';
    this.#headProblem = typeof head === 'string' ? undefined : head;
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
  async #exchange(batch: LineBatch, signal: AbortSignal | undefined): Promise<Http1Answer> {
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
    this.#client.close();
  }

  #post(body: WireBody, attempt: Attempt): Promise<Http1Answer> {
    if (attempt.cancelled !== undefined) return Promise.reject(STOPPED);
    if (this.#headProblem !== undefined) return Promise.reject(this.#headProblem);
    const head = `${this.#head}${body.gzip ? 'content-encoding: gzip\r\n' : ''}content-length: ${body.length}\r\n\r\n`;
    return this.#client.request(head, body.pieces, attempt);
  }
}

/**
 * The request line and fixed headers of a write to `url`, each line ending in CRLF; an error
 * when a header could not be sent as given.
 */
function requestHead(url: URL, extra: Readonly<Record<string, string>>): string | Error {
  const headers: Record<string, string> = {
    host: url.host,
    connection: 'keep-alive',
    'content-type': 'text/plain; charset=utf-8',
    ...extra,
  };
  // Credentials left in the URL go as basic auth, as node:http sent them.
  if (headers.authorization === undefined && (url.username !== '' || url.password !== '')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      const error: NodeJS.ErrnoException = new TypeError(`invalid header ${JSON.stringify(name)}`);
      error.code = 'ERR_INVALID_CHAR';
      return error;
    }
    head += `${name}: ${value}\r\n`;
  }
  return head;
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

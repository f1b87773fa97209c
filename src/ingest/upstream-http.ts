import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  type LineBatch,
  type Sink,
  type SinkKind,
  SinkRejectedError,
  SinkUnavailableError,
} from './sink.js';

/**
 * Writes line protocol to an InfluxDB-compatible HTTP endpoint (InfluxDB 1.x/2.x/3.x,
 * VictoriaMetrics). 2xx: stored. 408, 429, 5xx, timeouts and transport errors: unavailable (the
 * client retries later). 401, 403 and 404 mean the ingest itself is misconfigured (token,
 * database, bucket): also unavailable, because a client that was told 4xx would drop valid
 * data for an operator's mistake. Other 4xx (the data itself): rejected, relayed with the
 * upstream's message.
 *
 * The body is gzipped by default: InfluxDB 1.x applies its `max-body-size` (25 MB by default) to
 * the bytes on the wire, so a 50 MiB batch only fits compressed.
 */

/** 4xx answers that say nothing about the data: the client keeps it and retries. */
const UPSTREAM_RETRYABLE_4XX = new Set([401, 403, 404, 408, 429]);

export interface HttpUpstreamOptions {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  /** The complete write URL, query included, without credentials. */
  readonly url: URL;
  /** Extra request headers (authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly gzip: boolean;
  /** Upstream response bytes kept for messages; the rest is not read. */
  readonly maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Retry-After values outside this range are clamped. */
const MAX_RETRY_AFTER_SECONDS = 3600;

interface UpstreamResponse {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

export class HttpUpstreamSink implements Sink {
  readonly kind: Exclude<SinkKind, 'embedded'>;
  readonly target: string;
  readonly #options: HttpUpstreamOptions;
  readonly #agent: HttpAgent;
  readonly #https: boolean;

  constructor(options: HttpUpstreamOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.#https = options.url.protocol === 'https:';
    this.#agent = this.#https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64 })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.target = safeUrl(options.url);
  }

  async write(batch: LineBatch, signal?: AbortSignal): Promise<void> {
    const { timeoutMs } = this.#options;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let response: UpstreamResponse;
    try {
      response = await this.#post(batch, combined);
    } catch (error) {
      if (timeout.aborted) {
        throw new SinkUnavailableError(`upstream timed out after ${timeoutMs} ms`);
      }
      if (signal?.aborted) throw new SinkUnavailableError('client went away');
      const code = (error as NodeJS.ErrnoException).code;
      throw new SinkUnavailableError(
        `upstream unreachable: ${code ?? (error instanceof Error ? error.message : String(error))}`,
      );
    }
    const { status, body } = response;
    if (status >= 200 && status < 300) return;
    const detail = body.trim() === '' ? `upstream answered ${status}` : body.trim();
    if (status >= 400 && status < 500 && !UPSTREAM_RETRYABLE_4XX.has(status)) {
      throw new SinkRejectedError(status, detail);
    }
    throw new SinkUnavailableError(
      `upstream answered ${status}: ${detail}`,
      parseRetryAfter(response.retryAfter),
    );
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #post(batch: LineBatch, signal: AbortSignal): Promise<UpstreamResponse> {
    const { url, gzip } = this.#options;
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      ...this.#options.headers,
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    else headers['content-length'] = String(batch.byteLength);
    const limit = this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let answered = false;
      // Once the upstream has answered, a failure to finish sending (it may stop reading
      // early, e.g. with 413) does not change the answer.
      const fail = (error: unknown) => {
        if (!answered) reject(error);
      };
      const send = this.#https ? httpsRequest : httpRequest;
      const req = send(url, { method: 'POST', headers, agent: this.#agent, signal });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
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
      const body = Readable.from(batch.pieces, { objectMode: false });
      const stages = gzip ? pipeline(body, createGzip({ level: 1 }), req) : pipeline(body, req);
      stages.catch(fail);
    });
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds from a Retry-After value (seconds or an HTTP date), clamped; undefined if absent. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - now) / 1000);
  }
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
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

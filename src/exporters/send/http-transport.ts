import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { classifyStatus, parseRetryAfter, type ResponseClass } from '../../protocol/http-retry.js';

const gzip = promisify(gzipCallback);

/** How much of an error response we read for the log message. */
export const MAX_ERROR_BODY_BYTES = 512;

export interface PostOptions {
  /** Extra headers (`X-Peer-ID`, `Authorization`); content headers are set here. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Per-request deadline, including reading the answer. The batch sender passes none and
   * aborts `signal` with a `TimeoutError` instead, so its timeouts follow its scheduler.
   */
  timeoutMs?: number;
  /** Cancels the request (stop, a deadline, the sender's request timeout). */
  signal?: AbortSignal;
  now?: () => number;
  /** Default: the global `fetch`, looked up at each call. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** The signature of `postLineProtocol`, for senders that take the transport as a parameter. */
export type LineTransport = (
  url: string,
  body: string,
  options: PostOptions,
) => Promise<PostResult>;

export interface PostResult {
  readonly kind: ResponseClass;
  /** Absent when no HTTP answer arrived. */
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** Status and the start of the answer, or the transport error; for logs. */
  readonly message: string;
}

/**
 * The HTTP edge of both line-protocol senders: one gzip-compressed POST, classified by the
 * shared status policy. Never throws: a network error, a timeout or an abort is a `retry`
 * result like a 503.
 */
export async function postLineProtocol(
  url: string,
  body: string,
  options: PostOptions,
): Promise<PostResult> {
  const signals = [
    ...(options.timeoutMs !== undefined ? [AbortSignal.timeout(options.timeoutMs)] : []),
    ...(options.signal ? [options.signal] : []),
  ];
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  try {
    const compressed = await gzip(Buffer.from(body, 'utf8'));
    // Our own requests must not show up as spans of the application's tracing.
    const send = options.fetch ?? fetch;
    const response = await context.with(suppressTracing(context.active()), () =>
      send(url, {
        method: 'POST',
        headers: {
          ...options.headers,
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Encoding': 'gzip',
        },
        body: compressed,
        ...(signal ? { signal } : {}),
        redirect: 'manual',
      }),
    );
    const kind = classifyStatus(response.status);
    if (kind === 'success') {
      await response.body?.cancel().catch(() => {});
      return { kind, status: response.status, message: `HTTP ${response.status}` };
    }
    const excerpt = await readCapped(response, MAX_ERROR_BODY_BYTES).then(
      (r) => r.text.trim(),
      () => '',
    );
    const retryAfterMs = parseRetryAfter(
      response.headers.get('retry-after'),
      (options.now ?? Date.now)(),
    );
    return {
      kind,
      status: response.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: `HTTP ${response.status}${excerpt ? `: ${excerpt}` : ''}`,
    };
  } catch (error) {
    return { kind: 'retry', message: describeFetchError(error, signal) };
  }
}

function describeFetchError(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name === 'TimeoutError'
      ? 'request timed out'
      : 'request aborted';
  }
  if (error instanceof Error) {
    if (error.name === 'AbortError') return 'request aborted';
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return `${error.message}${detail}`;
  }
  return String(error);
}

export interface CappedBody {
  readonly text: string;
  /** The body had more than `maxBytes`; reading stopped there. */
  readonly truncated: boolean;
}

/**
 * Reads at most `maxBytes` of a response body, then cancels the rest unread, so a huge or
 * endless answer costs a bounded amount of memory and time.
 */
export async function readCapped(response: Response, maxBytes: number): Promise<CappedBody> {
  const reader = response.body?.getReader();
  if (reader === undefined) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

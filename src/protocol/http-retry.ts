/**
 * What an HTTP answer means for a batch of lines, and how long to wait before the next attempt.
 * One policy for every sender: the NetBird push, the InfluxDB metric exporter and the ingest's
 * writes to its database. Pure.
 */

/**
 * - `success`: 2xx, the batch is stored; acknowledge it.
 * - `retry`: keep the batch and try again later. 408, 429, 5xx, anything that is not an answer
 *   about the data (1xx, 3xx), and 401, 403, 404: those say the receiver or its credentials
 *   (token, database, bucket, URL) are misconfigured, which an operator fixes; dropping valid
 *   data for that would lose it for good, and the sender's queue is bounded anyway.
 * - `reject`: every other 4xx; resending the same bytes cannot succeed, so drop the batch.
 */
export type ResponseClass = 'success' | 'retry' | 'reject';

const RETRYABLE_4XX: ReadonlySet<number> = new Set([401, 403, 404, 408, 429]);

export function classifyStatus(status: number): ResponseClass {
  if (status >= 200 && status < 300) return 'success';
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) return 'reject';
  return 'retry';
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delay-seconds (a non-negative integer) or an
 * HTTP date. `undefined` when absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  // Only the HTTP date forms: Date.parse alone would also accept "1.5" or "tomorrow".
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with jitter: the n-th consecutive failure (n >= 1) waits
 * `baseMs * 2^(n-1)`, times a random factor in [1, 1.25), capped at `maxMs`. The factor never
 * goes below 1, so a retry never comes sooner than `baseMs` (the push interval).
 */
export function backoffDelay(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const delay = baseMs * 2 ** exponent * (1 + 0.25 * random());
  return Math.min(delay, Math.max(maxMs, baseMs));
}

/**
 * The wait after a retryable failure: the backoff, or longer if the server asked for it with
 * `Retry-After`, but never more than `maxMs` (a server cannot park a client for a year) and
 * never less than `baseMs`.
 */
export function retryDelay(
  failures: number,
  baseMs: number,
  maxMs: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const cap = Math.max(maxMs, baseMs);
  const wanted = Math.max(backoffDelay(failures, baseMs, cap, random), retryAfterMs ?? 0);
  return Math.min(wanted, cap);
}

/**
 * What an HTTP answer means for a batch, and how long to wait before the next attempt
 * (DESIGN decision 4). Pure; shared by the NetBird push and the InfluxDB metric exporter.
 */

/**
 * - `success`: 2xx, the batch is stored; acknowledge it.
 * - `retry`: 408, 429, 5xx, and anything that is not an answer about the data (1xx, 3xx): keep
 *   the batch and try again later.
 * - `reject`: every other 4xx; resending the same bytes cannot succeed, so drop the batch.
 */
export type ResponseClass = 'success' | 'retry' | 'reject';

export function classifyStatus(status: number): ResponseClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429) return 'retry';
  if (status >= 400 && status < 500) return 'reject';
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

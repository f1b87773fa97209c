// Deadlines on the injectable scheduler, so request timeouts and flush deadlines follow fake
// time in tests exactly as retries and backoffs do.
import { MAX_TIMER_MS, type Scheduler } from './scheduler.js';

/**
 * An abort signal that fires after `delayMs` (with a `TimeoutError`, as `AbortSignal.timeout`
 * does) or when `parent` aborts, whichever comes first. `dispose()` clears the timer.
 */
export function deadlineSignal(
  scheduler: Scheduler,
  delayMs: number,
  parent?: AbortSignal,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = scheduler.setTimeout(
    () => controller.abort(new DOMException('request timed out', 'TimeoutError')),
    delayMs,
  );
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      scheduler.clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/**
 * Waits for `work` at most `timeoutMs`; never rejects. A rejection or the deadline becomes
 * `{ ok: false }` with a message, and `work` is left to finish (or not) on its own: whatever a
 * backend does, the caller gets an answer in time.
 */
export async function settleWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
  scheduler: Scheduler,
): Promise<Settled<T>> {
  let timer: ReturnType<Scheduler['setTimeout']> | undefined;
  const expired = new Promise<Settled<T>>((resolve) => {
    timer = scheduler.setTimeout(
      () => resolve({ ok: false, error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const settled = work.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  try {
    return await Promise.race([settled, expired]);
  } finally {
    scheduler.clearTimeout(timer);
  }
}

/**
 * Keeps the process alive while `work` runs, at most `timeoutMs`. Telemetry timers and sockets
 * never hold a process open on their own, but a caller awaiting `forceFlush()` or `shutdown()`
 * must get its answer: without this, an `await` at the top level of a script ends the process
 * (exit code 13) while the push it waits for is still in flight.
 */
export async function holdOpenWhile<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  const hold = setTimeout(() => {}, Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS));
  try {
    return await work;
  } finally {
    clearTimeout(hold);
  }
}

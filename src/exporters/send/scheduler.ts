/**
 * The clock and timers every sender uses, injectable so that tests drive pushes, retries,
 * backoffs and request timeouts with fake time instead of waiting for real time.
 */
export interface Scheduler {
  /** Runs `callback` once after `delayMs`; the timer never keeps the process alive. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Wall clock in epoch milliseconds. */
  now(): number;
}

export type TimerHandle = ReturnType<typeof setTimeout>;

/** setTimeout's limit; a longer delay would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The global timers and `Date.now`, looked up at each call so that fake timers installed after
 * a sender was built still apply.
 */
export const systemScheduler: Scheduler = {
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, Math.min(Math.max(delayMs, 0), MAX_TIMER_MS));
    // Sending telemetry must never be what keeps a process running.
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle);
  },
  now: () => Date.now(),
};

// At most a few dashboard loads at a time: each is a scan of the store or a set of InfluxDB
// queries, and without a limit a flood of page requests (abandoned or not) takes the CPU the
// pushes need. Excess loads wait in a short queue; past it they are refused at once.

/** The queue is full: the caller should answer 503 with Retry-After. */
export class DashboardBusyError extends Error {
  override name = 'DashboardBusyError';
}

interface Waiter {
  readonly start: () => void;
}

export class WorkLimiter {
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {
    if (!(concurrency >= 1) || !(maxQueued >= 0)) {
      throw new RangeError('concurrency must be at least 1 and maxQueued at least 0');
    }
  }

  /** Loads running now. */
  get active(): number {
    return this.#active;
  }

  /** Loads waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs `work` when a slot is free. Rejects with {@link DashboardBusyError} when the queue is
   * full, and with the signal's reason when it aborts while waiting (the waiter leaves the queue).
   */
  async run<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    if (this.#active < this.concurrency) this.#active++;
    else await this.#wait(signal);
    try {
      signal.throwIfAborted();
      return await work();
    } finally {
      this.#release();
    }
  }

  #wait(signal: AbortSignal): Promise<void> {
    if (this.#queue.length >= this.maxQueued) {
      return Promise.reject(new DashboardBusyError('dashboard busy'));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it. */
  #release(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#active--;
    else next.start();
  }
}

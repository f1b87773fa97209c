// Identical dashboard requests share one load: a request joins a load already running for the
// same normalised query, or takes a result at most `ttlMs` old. A load runs while anyone still
// waits for it; when the last waiting request goes away it is aborted, so abandoned requests
// cost nothing past the moment they leave.

interface Running<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

export interface SharedLoadsOptions {
  /** How long a result is reused, ms. */
  readonly ttlMs: number;
  /** Results kept at most (each holds a page's data). */
  readonly maxEntries: number;
  readonly now: () => number;
}

export class SharedLoads<T> {
  readonly #running = new Map<string, Running<T>>();
  /** Insertion order is age order: the first entry is the oldest. */
  readonly #done = new Map<string, { value: T; at: number }>();

  constructor(readonly options: SharedLoadsOptions) {}

  /** Loads being run now (each possibly shared by several requests). */
  get running(): number {
    return this.#running.size;
  }

  /**
   * The value for `key`: a recent one, the one being loaded, or a new load. Rejects with the
   * signal's reason as soon as `signal` aborts, whatever the load does.
   */
  get(key: string, signal: AbortSignal, load: (signal: AbortSignal) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const recent = this.#done.get(key);
    if (recent !== undefined) {
      if (this.options.now() - recent.at < this.options.ttlMs) return Promise.resolve(recent.value);
      this.#done.delete(key);
    }
    const running = this.#running.get(key) ?? this.#start(key, load);
    return this.#join(key, running, signal);
  }

  #start(key: string, load: (signal: AbortSignal) => Promise<T>): Running<T> {
    const controller = new AbortController();
    const promise = load(controller.signal).then((value) => {
      if (!controller.signal.aborted) this.#remember(key, value);
      return value;
    });
    const running: Running<T> = { promise, controller, waiters: 0 };
    // An abandoned load's rejection has no one to go to.
    promise.catch(() => {});
    void promise
      .finally(() => {
        if (this.#running.get(key) === running) this.#running.delete(key);
      })
      .catch(() => {});
    this.#running.set(key, running);
    return running;
  }

  #join(key: string, running: Running<T>, signal: AbortSignal): Promise<T> {
    running.waiters++;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        signal.removeEventListener('abort', onAbort);
        running.waiters--;
      };
      const onAbort = () => {
        leave();
        reject(signal.reason);
        if (running.waiters === 0) {
          if (this.#running.get(key) === running) this.#running.delete(key);
          running.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      running.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  #remember(key: string, value: T): void {
    this.#done.delete(key);
    this.#done.set(key, { value, at: this.options.now() });
    while (this.#done.size > this.options.maxEntries) {
      const oldest = this.#done.keys().next().value;
      if (oldest === undefined) break;
      this.#done.delete(oldest);
    }
  }
}

/**
 * Runs async work one piece at a time, in the order it was handed in: a send loop, a flush and
 * a retry never overlap, so a batch is never taken twice. A failed piece does not stop the ones
 * after it.
 */
export class SerialRunner {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Settles once everything handed in so far has finished. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}

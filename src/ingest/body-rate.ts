export interface BodyRateLimits {
  /** Bytes per second a body must arrive at, on average over each window; 0 turns it off. */
  readonly minBytesPerSecond: number;
  /** Length of a window in milliseconds. */
  readonly windowMs: number;
}

/**
 * The floor on how fast a body arrives. A client that sends a byte now and then would hold its
 * connection, its slot and the bytes it sent until the request timeout; measured over whole
 * windows, a short stall on a slow link still passes, a trickle does not.
 */
export class BodyRateFloor {
  readonly #minPerWindow: number;
  #received = 0;

  constructor(limits: BodyRateLimits) {
    this.#minPerWindow = (limits.minBytesPerSecond * limits.windowMs) / 1000;
  }

  /** Counts bytes received in the current window. */
  add(bytes: number): void {
    this.#received += bytes;
  }

  /** Called as a window ends: true when too little arrived in it. Starts the next window. */
  windowEnded(): boolean {
    const slow = this.#received < this.#minPerWindow;
    this.#received = 0;
    return slow;
  }
}

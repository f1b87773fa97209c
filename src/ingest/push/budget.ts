export interface BudgetLimits {
  /** Pushes read, validated or written at once. */
  readonly maxRequests: number;
  /** Body bytes all of them may hold at once (decoded lines, plus gzip kept for forwarding). */
  readonly maxBytes: number;
  /** The decoded cap of one body: what keeping its gzip must leave room for. */
  readonly maxDecodedBytes: number;
}

/**
 * The in-flight budget: how many pushes are being handled, and how many body bytes they hold.
 * It bounds the memory of many large pushes arriving together; a push that would pass it is
 * refused with 503 (a short wait) rather than held.
 */
export class InFlightBudget {
  readonly limits: BudgetLimits;
  #requests = 0;
  #bytes = 0;

  constructor(limits: BudgetLimits) {
    this.limits = limits;
  }

  /** No room for one more push. */
  get full(): boolean {
    return this.#requests >= this.limits.maxRequests;
  }

  get requests(): number {
    return this.#requests;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Counts one push in; its bytes are reserved through the returned claim. */
  enter(keepGzip: boolean): BudgetClaim {
    this.#requests++;
    return new BudgetClaim(this, keepGzip);
  }

  /** Called by {@link BudgetClaim} only. */
  adjust(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Called by {@link BudgetClaim} only. */
  leave(bytes: number): void {
    this.#bytes -= bytes;
    this.#requests--;
  }
}

/** One push's share of the budget; `release` gives back everything it reserved. */
export class BudgetClaim {
  readonly #budget: InFlightBudget;
  /** Set when a decoded chunk did not fit: the push is answered 503, not 400. */
  overBudget = false;
  #reserved = 0;
  #decodedHeld = 0;
  #rawHeld = 0;
  #released = false;
  /** For `readBody`: asked before each received chunk is kept, when the sink forwards gzip. */
  readonly keepRaw: ((chunk: Buffer) => boolean) | undefined;

  constructor(budget: InFlightBudget, keepGzip: boolean) {
    this.#budget = budget;
    this.keepRaw = keepGzip ? (chunk) => this.#keepRaw(chunk) : undefined;
  }

  /** Reserves a decoded chunk; false (and `overBudget`) when it does not fit. */
  takeDecoded(chunk: Buffer): boolean {
    const budget = this.#budget;
    if (budget.bytes + chunk.length > budget.limits.maxBytes) {
      this.overBudget = true;
      return false;
    }
    this.#reserve(chunk.length);
    this.#decodedHeld += chunk.length;
    return true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#budget.leave(this.#reserved);
    this.#reserved = 0;
  }

  /**
   * The client's gzip is kept only while this push's whole decoded body would still fit: keeping
   * it must never be the reason a push is refused. Refused once, what was kept is let go (and
   * `readBody` drops it).
   */
  #keepRaw(chunk: Buffer): boolean {
    const budget = this.#budget;
    const room = budget.limits.maxBytes - budget.bytes;
    if (chunk.length + budget.limits.maxDecodedBytes - this.#decodedHeld > room) {
      this.#reserve(-this.#rawHeld);
      this.#rawHeld = 0;
      return false;
    }
    this.#reserve(chunk.length);
    this.#rawHeld += chunk.length;
    return true;
  }

  #reserve(bytes: number): void {
    this.#budget.adjust(bytes);
    this.#reserved += bytes;
  }
}

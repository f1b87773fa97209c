export interface BudgetLimits {
  /** Pushes read, validated or written at once. */
  readonly maxRequests: number;
  /** Body bytes all of them may hold at once (decoded lines, plus gzip kept for forwarding). */
  readonly maxBytes: number;
  /** The decoded cap of one body: what keeping its gzip must leave room for. */
  readonly maxDecodedBytes: number;
  /** Pushes one client (an address, or a peer id) may have at once; at most `maxRequests`. */
  readonly maxRequestsPerClient?: number;
  /**
   * Decoded body bytes one client may hold at once; at most `maxBytes`. Gzip kept for forwarding
   * is bounded by the whole budget only, as it is let go rather than refused.
   */
  readonly maxBytesPerClient?: number;
}

interface Holding {
  requests: number;
  /** Decoded bytes. */
  bytes: number;
}

/**
 * The in-flight budget: how many pushes are being handled, and how many body bytes they hold,
 * in all and per client. It bounds the memory of many large pushes arriving together, and keeps
 * one address or peer from taking the room every other client needs; a push that would pass it
 * is refused with 503 (a short wait) rather than held.
 */
export class InFlightBudget {
  readonly limits: BudgetLimits;
  readonly #perClientRequests: number;
  readonly #perClientBytes: number;
  /** Only clients holding something: at most two entries per push in flight. */
  readonly #clients = new Map<string, Holding>();
  #requests = 0;
  #bytes = 0;

  constructor(limits: BudgetLimits) {
    this.limits = limits;
    this.#perClientRequests = Math.min(
      limits.maxRequests,
      limits.maxRequestsPerClient ?? limits.maxRequests,
    );
    this.#perClientBytes = Math.min(limits.maxBytes, limits.maxBytesPerClient ?? limits.maxBytes);
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

  /** Clients holding a slot or bytes now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Room for one more push of each of these clients. */
  hasRoomFor(clients: readonly string[]): boolean {
    if (this.full) return false;
    return clients.every((c) => (this.#clients.get(c)?.requests ?? 0) < this.#perClientRequests);
  }

  /**
   * A claim for one push of `clients` (e.g. its address and its peer id). It holds nothing until
   * `start`: the slot is taken when the body begins to arrive, so a client that sends headers
   * and then nothing holds no slot.
   */
  claim(keepGzip: boolean, clients: readonly string[] = []): BudgetClaim {
    return new BudgetClaim(this, keepGzip, clients);
  }

  /** Called by {@link BudgetClaim} only. */
  takeSlot(clients: readonly string[]): boolean {
    if (!this.hasRoomFor(clients)) return false;
    this.#requests++;
    for (const c of clients) this.#holding(c).requests++;
    return true;
  }

  /** Called by {@link BudgetClaim} only: whether `bytes` more fit, in all and for each client. */
  fits(clients: readonly string[], bytes: number): boolean {
    if (this.#bytes + bytes > this.limits.maxBytes) return false;
    return clients.every((c) => (this.#clients.get(c)?.bytes ?? 0) + bytes <= this.#perClientBytes);
  }

  /** Called by {@link BudgetClaim} only: `decoded` bytes count against each client's share. */
  adjust(clients: readonly string[], bytes: number, decoded: boolean): void {
    this.#bytes += bytes;
    if (!decoded) return;
    for (const c of clients) this.#holding(c).bytes += bytes;
  }

  /** Called by {@link BudgetClaim} only. */
  leave(clients: readonly string[], bytes: number, decoded: number, started: boolean): void {
    this.#bytes -= bytes;
    if (started) this.#requests--;
    for (const c of clients) {
      const h = this.#holding(c);
      h.bytes -= decoded;
      if (started) h.requests--;
    }
    this.#forgetIdle(clients);
  }

  #holding(client: string): Holding {
    let h = this.#clients.get(client);
    if (h === undefined) {
      h = { requests: 0, bytes: 0 };
      this.#clients.set(client, h);
    }
    return h;
  }

  #forgetIdle(clients: readonly string[]): void {
    for (const c of clients) {
      const h = this.#clients.get(c);
      if (h !== undefined && h.requests === 0 && h.bytes === 0) this.#clients.delete(c);
    }
  }
}

/** One push's share of the budget; `release` gives back everything it reserved. */
export class BudgetClaim {
  readonly #budget: InFlightBudget;
  readonly #clients: readonly string[];
  /** Set when a slot or a decoded chunk did not fit: the push is answered 503, not 400. */
  overBudget = false;
  #started = false;
  #reserved = 0;
  #decodedHeld = 0;
  #rawHeld = 0;
  #released = false;
  /** For `readBody`: asked before each received chunk is kept, when the sink forwards gzip. */
  readonly keepRaw: ((chunk: Buffer) => boolean) | undefined;

  constructor(budget: InFlightBudget, keepGzip: boolean, clients: readonly string[]) {
    this.#budget = budget;
    this.#clients = clients;
    this.keepRaw = keepGzip ? (chunk) => this.#keepRaw(chunk) : undefined;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Takes the push's slot; false (and `overBudget`) when the server or a client has no room. */
  start(): boolean {
    if (this.#started) return true;
    if (this.#released || !this.#budget.takeSlot(this.#clients)) {
      this.overBudget = true;
      return false;
    }
    this.#started = true;
    return true;
  }

  /** Reserves a decoded chunk; false (and `overBudget`) when it does not fit. */
  takeDecoded(chunk: Buffer): boolean {
    if (!this.#budget.fits(this.#clients, chunk.length)) {
      this.overBudget = true;
      return false;
    }
    this.#reserve(chunk.length, true);
    this.#decodedHeld += chunk.length;
    return true;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#budget.leave(this.#clients, this.#reserved, this.#decodedHeld, this.#started);
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
      this.#reserve(-this.#rawHeld, false);
      this.#rawHeld = 0;
      return false;
    }
    this.#reserve(chunk.length, false);
    this.#rawHeld += chunk.length;
    return true;
  }

  #reserve(bytes: number, decoded: boolean): void {
    this.#budget.adjust(this.#clients, bytes, decoded);
    this.#reserved += bytes;
  }
}

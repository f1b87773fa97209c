export interface RateLimitOptions {
  /** Sustained requests per minute per key; 0 turns the limit off. */
  readonly perMinute: number;
  /** Requests a key may make at once after being idle. */
  readonly burst: number;
  /** Keys remembered at most. */
  readonly maxKeys: number;
  /** Milliseconds clock, for tests. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by peer id or client address. The map is bounded: when it is full the key
 * used least recently is forgotten (it starts again with a full bucket, which only ever lets
 * more through, never less).
 */
export class RateLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    if (!(options.perMinute >= 0) || !(options.burst >= 1) || !(options.maxKeys >= 1)) {
      throw new RangeError('RateLimiter: perMinute >= 0, burst >= 1 and maxKeys >= 1 are required');
    }
    this.#ratePerMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token: 0 when allowed, else whole seconds until a token is due (for Retry-After). */
  take(key: string): number {
    if (this.#ratePerMs === 0) return 0;
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
    } else {
      // Re-insert so the map's order is least recently used first.
      this.#buckets.delete(key);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#ratePerMs);
      bucket.at = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#ratePerMs / 1000));
  }
}

export interface SampleClockOptions {
  /** Wall clock in epoch milliseconds (fractions allowed). */
  wall?: () => number;
  /**
   * A clock that never jumps, in milliseconds from any origin (`performance.now`-like). When
   * only `wall` is given, that clock is trusted as both: a caller that injects its own time
   * gets exactly that time back.
   */
  monotonic?: () => number;
  /** How far wall time may stray from the monotonic estimate before it counts as a jump. */
  jumpBoundMs?: number;
}

/**
 * Wall time and the monotonic estimate may differ this much (NTP's slewing and the drift of the
 * two clocks stay far below it in a day) before the wall clock counts as having jumped.
 */
export const DEFAULT_JUMP_BOUND_MS = 1000;

const NS_PER_MS = 1_000_000;

/**
 * The time samples are stamped with, in epoch nanoseconds: strictly increasing, so two samples
 * never share a timestamp (InfluxDB would keep only one) and a series never goes back.
 *
 * It runs on the monotonic clock from an anchor in wall time, and re-anchors when the wall
 * clock disagrees with it by more than the bound (a suspend and resume, an operator or NTP
 * stepping the clock), in either direction — but only once a second reading confirms the new
 * offset, so one absurd reading (a year of 2038) moves nothing. A step back cannot be followed
 * at once without going backwards: after one, stamps advance at half speed until they meet the
 * wall clock again, so they keep their order and stay close to real time instead of piling up
 * on the instant before the step.
 */
export class SampleClock {
  readonly #wall: () => number;
  readonly #monotonic: () => number;
  readonly #boundMs: number;
  #anchorWallMs: number;
  #anchorMonoMs: number;
  /** Offset of a wall reading that disagreed, waiting for a second one to confirm it. */
  #pendingOffsetMs: number | undefined;
  #lastNs = 0n;
  #lastMonoMs: number;

  constructor(options: SampleClockOptions = {}) {
    const wall = options.wall ?? (() => Date.now());
    this.#wall = wall;
    this.#monotonic =
      options.monotonic ?? (options.wall !== undefined ? wall : () => performance.now());
    this.#boundMs = options.jumpBoundMs ?? DEFAULT_JUMP_BOUND_MS;
    if (!(this.#boundMs > 0)) throw new RangeError(`jumpBoundMs must be > 0, got ${this.#boundMs}`);
    this.#anchorMonoMs = this.#monotonic();
    this.#anchorWallMs = wall();
    this.#lastMonoMs = this.#anchorMonoMs;
  }

  /** The last timestamp given out (0 before the first). */
  get lastNs(): bigint {
    return this.#lastNs;
  }

  /** The next timestamp: now, and later than every one before. */
  stamp(): bigint {
    const mono = this.#monotonic();
    const target = toNs(this.#estimateMs(mono));
    let ns: bigint;
    if (target > this.#lastNs) {
      ns = target;
    } else {
      // Ahead of the wall clock (it stepped back): catch up by running at half speed.
      const half = Math.max(mono - this.#lastMonoMs, 0) / 2;
      ns = this.#lastNs + BigInt(Math.max(Math.floor(half * NS_PER_MS), 1));
    }
    this.#lastNs = ns;
    this.#lastMonoMs = mono;
    return ns;
  }

  /** Wall time by the monotonic clock, re-anchored first if the wall clock really jumped. */
  #estimateMs(mono: number): number {
    const estimate = this.#anchorWallMs + (mono - this.#anchorMonoMs);
    const offset = this.#wall() - estimate;
    if (Math.abs(offset) <= this.#boundMs) {
      this.#pendingOffsetMs = undefined;
      return estimate;
    }
    const pending = this.#pendingOffsetMs;
    if (pending === undefined || Math.abs(offset - pending) > this.#boundMs) {
      this.#pendingOffsetMs = offset;
      return estimate;
    }
    this.#pendingOffsetMs = undefined;
    this.#anchorWallMs = estimate + offset;
    this.#anchorMonoMs = mono;
    return this.#anchorWallMs;
  }
}

function toNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.floor((ms - whole) * NS_PER_MS));
}

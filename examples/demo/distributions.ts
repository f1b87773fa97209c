// Seeded random numbers and the timing distributions of the simulated fleet. Pure: the same
// seed gives the same fleet, so a demo run and its tests can be reproduced exactly.

/** A random source in [0, 1). */
export type Random = () => number;

/** mulberry32: small, fast, good enough for a simulation, and seedable (Math.random is not). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal variate (Box–Muller). */
export function normal(random: Random): number {
  // 1 - u keeps the logarithm's argument in (0, 1].
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** z of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/**
 * A log-normal duration described the way operators talk about latency: its median and its
 * 95th percentile. Latencies are right-skewed and never negative, which log-normal captures.
 */
export interface LogNormal {
  readonly median: number;
  readonly p95: number;
}

export function logNormal(random: Random, d: LogNormal): number {
  if (!(d.median > 0) || !(d.p95 >= d.median)) {
    throw new RangeError(`log-normal needs 0 < median <= p95, got ${d.median} / ${d.p95}`);
  }
  const sigma = Math.log(d.p95 / d.median) / Z95;
  return d.median * Math.exp(sigma * normal(random));
}

/** True with probability `p`. */
export function chance(random: Random, p: number): boolean {
  return random() < p;
}

/** Uniform in [min, max). */
export function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Uniform integer in [min, max]. */
export function integer(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One of `choices`, with probability proportional to its weight. */
export function weighted<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of choices) total += w;
  let r = random() * total;
  for (const [value, w] of choices) {
    r -= w;
    if (r < 0) return value;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new RangeError('weighted() needs at least one choice');
  return last[0];
}

/**
 * Splits `total` into `parts` shares with random weights (exponential weights make a flat
 * Dirichlet), so phases of one sync add up to the sync's duration.
 */
export function split(random: Random, total: number, weights: readonly number[]): number[] {
  const draws = weights.map((w) => w * -Math.log(1 - random()));
  const sum = draws.reduce((a, b) => a + b, 0);
  return draws.map((d) => (sum > 0 ? (total * d) / sum : total / draws.length));
}

/** 32 random bytes in base64: the shape of a WireGuard public key. */
export function wireguardKey(random: Random): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return Buffer.from(bytes).toString('base64');
}

// Times a subject against its anchor with tinybench, in alternating rounds so drift (thermal,
// GC, a noisy neighbour) hits both alike; the figure kept per side is the median over rounds.
import { Bench, type FnOptions } from 'tinybench';

export interface Side {
  /** One timed call; does `opsPerCall` operations (batching keeps timer overhead out). */
  fn: () => unknown | Promise<unknown>;
  opsPerCall: number;
  /** Untimed preparation before each call (fresh inputs). */
  beforeEach?: () => void;
}

export interface PairTiming {
  /** Median over rounds of the mean time per operation, in nanoseconds. */
  subjectNsPerOp: number;
  anchorNsPerOp: number;
  /** subject / anchor time per operation. */
  timeRatio: number;
  rounds: number;
  /** Relative margin of error (95 %) of the last round, per side, in percent. */
  subjectRme: number;
  anchorRme: number;
}

export interface PairOptions {
  /** Time budget per side per round, ms. */
  timeMs: number;
  rounds: number;
  warmupMs?: number;
  /** Minimum timed calls per side per round (default 5). */
  minIterations?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timeOnce(
  name: string,
  side: Side,
  options: PairOptions,
): Promise<{ nsPerOp: number; rme: number }> {
  const bench = new Bench({
    name,
    time: options.timeMs,
    iterations: options.minIterations ?? 5,
    warmupTime: options.warmupMs ?? Math.min(200, options.timeMs / 2),
    warmupIterations: 1,
    throws: true,
  });
  const hooks: FnOptions = side.beforeEach === undefined ? {} : { beforeEach: side.beforeEach };
  bench.add(name, side.fn, hooks);
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (result === undefined || !('latency' in result)) {
    throw new Error(`${name}: no timing (${result?.state ?? 'no task'})`);
  }
  return {
    nsPerOp: (result.latency.mean * 1e6) / side.opsPerCall,
    rme: (result.latency.moe / result.latency.mean) * 100,
  };
}

export async function timePair(
  name: string,
  subject: Side,
  anchor: Side,
  options: PairOptions,
): Promise<PairTiming> {
  const s: number[] = [];
  const a: number[] = [];
  let subjectRme = 0;
  let anchorRme = 0;
  for (let round = 0; round < options.rounds; round++) {
    // Alternate who goes first, so neither always runs on a warmer (or more fragmented) heap.
    const order = round % 2 === 0 ? (['s', 'a'] as const) : (['a', 's'] as const);
    for (const which of order) {
      if (which === 's') {
        const r = await timeOnce(`${name}: subject`, subject, options);
        s.push(r.nsPerOp);
        subjectRme = r.rme;
      } else {
        const r = await timeOnce(`${name}: anchor`, anchor, options);
        a.push(r.nsPerOp);
        anchorRme = r.rme;
      }
    }
  }
  const subjectNsPerOp = median(s);
  const anchorNsPerOp = median(a);
  return {
    subjectNsPerOp,
    anchorNsPerOp,
    timeRatio: subjectNsPerOp / anchorNsPerOp,
    rounds: options.rounds,
    subjectRme,
    anchorRme,
  };
}

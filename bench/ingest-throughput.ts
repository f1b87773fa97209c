// Benchmark 4: client pushes into InfluxDB 1.6 through the ingest (validate, group commit,
// forward) against the same gzip bodies written to the same InfluxDB directly, at 50-, 200- and
// 2,000-line bodies with 8 and 64 concurrent clients, sides alternating (ABBA). Per case: req/s,
// lines/s, the ingest's CPU per request, InfluxDB's CPU per stored line (both from /proc), and
// push latency p50/p99. InfluxDB pays a large fixed cost per write, which group commit saves.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { influxCreateDatabase } from '../test/helpers/backend-clients.js';
import { startInfluxDB } from '../test/setup/backends.js';
import { lineBody, splitLines } from './lib/bodies.js';
import { startIngestChild } from './lib/ingest-child.js';
import { cpuSeconds } from './lib/proc-cpu.js';
import { type BenchResult, type Figure, result } from './lib/report.js';

const DEFAULT_LINES_PER_BATCH = 200;
const DEFAULT_CONCURRENCY = 8;
const SIZES = [50, 200, 2_000] as const;
const CLIENTS = [8, 64] as const;
/** One timed run of a side. */
const RUN_MS = 2_500;
/**
 * The first untimed pass over every case, per side. A fresh ingest process takes about 10 s of
 * load to settle: over successive 2.5 s rounds of the first case its CPU per request fell from
 * 1,100-1,450 us to 350-500 us by the fourth round and no further, so the first case gets the
 * pass (9 s of ingest load) and its own untimed round before it is timed.
 */
const FIRST_PASS_MS = 1_500;

export interface Target {
  url: URL;
  headers: (i: number) => Record<string, string>;
}

/** A client body: gzip line protocol and how many lines it holds. */
export interface ClientBody {
  readonly gzip: Buffer;
  readonly lines: number;
}

/** What one timed run of a side did. */
interface Run {
  requests: number;
  lines: number;
  seconds: number;
  latenciesMs: number[];
}

/** One gzip push; resolves with the answer's status (the body is read and thrown away). */
export function post(agent: Agent, target: Target, body: Buffer, i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target.url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
        ...target.headers(i),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends bodies round-robin from `concurrency` clients, each one push at a time, for `ms`. */
async function drive(
  target: Target,
  bodies: readonly ClientBody[],
  ms: number,
  concurrency: number,
): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const run: Run = { requests: 0, lines: 0, seconds: 0, latenciesMs: [] };
  let next = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  const client = async () => {
    while (performance.now() < deadline) {
      const i = next++;
      const body = bodies[i % bodies.length] as ClientBody;
      const sent = performance.now();
      const status = await post(agent, target, body.gzip, i);
      if (status !== 204) throw new Error(`${target.url.origin}: HTTP ${status} for batch ${i}`);
      run.latenciesMs.push(performance.now() - sent);
      run.requests++;
      run.lines += body.lines;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
  } finally {
    agent.destroy();
  }
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

/** Requests per second from `concurrency` clients over `ms` (used by other benchmarks too). */
export async function load(
  target: Target,
  bodies: readonly Buffer[],
  ms: number,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<number> {
  const run = await drive(
    target,
    bodies.map((gzip) => ({ gzip, lines: 0 })),
    ms,
    concurrency,
  );
  return run.requests / run.seconds;
}

/** Realistic client pushes of `linesPerBatch` lines, gzip. */
export function clientBodies(bytes: number, linesPerBatch: number): ClientBody[] {
  return splitLines(lineBody(bytes, 5).text, linesPerBatch).map((text) => ({
    gzip: gzipSync(text),
    lines: countLines(text),
  }));
}

/** Realistic client pushes: gzip batches of 200 lines. */
export function batches(bytes: number, linesPerBatch = DEFAULT_LINES_PER_BATCH): Buffer[] {
  return clientBodies(bytes, linesPerBatch).map((b) => b.gzip);
}

function countLines(text: Buffer): number {
  let lines = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/** The ingest as a target: each batch from one of 1000 peers (pushes carry X-Peer-ID). */
export function ingestTarget(baseUrl: string): Target {
  const peerIds = Array.from({ length: 1000 }, () => randomBytes(8).toString('hex'));
  return {
    url: new URL(`${baseUrl}/`),
    headers: (i) => ({ 'x-peer-id': peerIds[i % peerIds.length] as string }),
  };
}

/** One side's runs of a case, summed. */
interface SideTotals {
  requests: number;
  lines: number;
  seconds: number;
  latenciesMs: number[];
  influxCpu: number;
  ingestCpu: number;
}

interface CaseResult {
  readonly lines: number;
  readonly clients: number;
  readonly direct: SideTotals;
  readonly ingest: SideTotals;
}

function emptyTotals(): SideTotals {
  return { requests: 0, lines: 0, seconds: 0, latenciesMs: [], influxCpu: 0, ingestCpu: 0 };
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

interface Processes {
  readonly influxPid: () => number;
  readonly ingestPid: number;
}

/** One timed run, adding what it did and the CPU both processes spent to `totals`. */
async function timed(
  totals: SideTotals,
  target: Target,
  bodies: readonly ClientBody[],
  ms: number,
  clients: number,
  pids: Processes,
): Promise<void> {
  const influxBefore = await cpuSeconds(pids.influxPid());
  const ingestBefore = await cpuSeconds(pids.ingestPid);
  const run = await drive(target, bodies, ms, clients);
  totals.influxCpu += (await cpuSeconds(pids.influxPid())) - influxBefore;
  totals.ingestCpu += (await cpuSeconds(pids.ingestPid)) - ingestBefore;
  totals.requests += run.requests;
  totals.lines += run.lines;
  totals.seconds += run.seconds;
  for (const ms of run.latenciesMs) totals.latenciesMs.push(ms);
}

async function runCase(
  lines: number,
  clients: number,
  targets: { direct: Target; ingest: Target },
  pids: Processes,
  quick: boolean,
): Promise<CaseResult> {
  const bodies = clientBodies(quick ? 2 * 2 ** 20 : 6 * 2 ** 20, lines);
  const runMs = quick ? 800 : RUN_MS;
  // An untimed round as long as a timed one on each side: connections, group sizes, heap and
  // InfluxDB's shard settle for this body size and client count before anything is timed.
  await drive(targets.direct, bodies, runMs, clients);
  await drive(targets.ingest, bodies, runMs, clients);
  const direct = emptyTotals();
  const ingest = emptyTotals();
  await timed(direct, targets.direct, bodies, runMs, clients, pids);
  await timed(ingest, targets.ingest, bodies, runMs, clients, pids);
  if (!quick) {
    await timed(ingest, targets.ingest, bodies, runMs, clients, pids);
    await timed(direct, targets.direct, bodies, runMs, clients, pids);
  }
  return { lines, clients, direct, ingest };
}

/** Every case once on both sides, untimed: no case is measured while the process settles. */
async function firstPass(targets: { direct: Target; ingest: Target }, quick: boolean) {
  const ms = quick ? 300 : FIRST_PASS_MS;
  for (const lines of SIZES) {
    const bodies = clientBodies(quick ? 2 ** 20 : 2 * 2 ** 20, lines);
    for (const clients of CLIENTS) {
      await drive(targets.direct, bodies, ms, clients);
      await drive(targets.ingest, bodies, ms, clients);
    }
  }
}

const rps = (s: SideTotals) => s.requests / s.seconds;
const influxUsPerLine = (s: SideTotals) => (s.influxCpu / s.lines) * 1e6;
const ingestUsPerRequest = (s: SideTotals) => (s.ingestCpu / s.requests) * 1e6;

function caseFigures(c: CaseResult): Figure[] {
  const name = `${c.lines} lines × ${c.clients}`;
  const sides = [
    ['via ingest', c.ingest],
    ['direct', c.direct],
  ] as const;
  return [
    ...sides.map(([side, s]) => ({
      label: `${name}: req/s ${side}`,
      value: rps(s),
      unit: 'req/s',
    })),
    ...sides.map(([side, s]) => ({
      label: `${name}: lines/s ${side}`,
      value: s.lines / s.seconds,
      unit: 'lines/s',
    })),
    { label: `${name}: ingest CPU per request`, value: ingestUsPerRequest(c.ingest), unit: 'us' },
    ...sides.map(([side, s]) => ({
      label: `${name}: InfluxDB CPU per stored line ${side}`,
      value: influxUsPerLine(s),
      unit: 'us',
    })),
    ...sides.flatMap(([side, s]) => [
      { label: `${name}: push p50 ${side}`, value: percentile(s.latenciesMs, 50), unit: 'ms' },
      { label: `${name}: push p99 ${side}`, value: percentile(s.latenciesMs, 99), unit: 'ms' },
    ]),
  ];
}

/** The targets, each as a line: ratio, bound, PASS or MISS. */
function targetNotes(cases: readonly CaseResult[]): { notes: string[]; rpsRatio64: number } {
  const at = (lines: number, clients: number) =>
    cases.find((c) => c.lines === lines && c.clients === clients) as CaseResult;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const notes: string[] = [];
  for (const clients of CLIENTS) {
    const c = at(50, clients);
    const ratio = influxUsPerLine(c.ingest) / influxUsPerLine(c.direct);
    notes.push(
      `target InfluxDB CPU per stored line via ingest / direct, 50 lines × ${clients}: ${ratio.toFixed(2)} <= 0.6 ${verdict(ratio <= 0.6)}`,
    );
  }
  let rpsRatio64 = Number.POSITIVE_INFINITY;
  for (const lines of SIZES) {
    const c = at(lines, 64);
    const ratio = rps(c.ingest) / rps(c.direct);
    rpsRatio64 = Math.min(rpsRatio64, ratio);
    notes.push(
      `target req/s via ingest / direct, ${lines} lines × 64: ${ratio.toFixed(2)} >= 1.0 ${verdict(ratio >= 1)}`,
    );
  }
  for (const clients of CLIENTS) {
    const us = ingestUsPerRequest(at(50, clients).ingest);
    notes.push(
      `target ingest CPU per request, 50 lines × ${clients}: ${us.toFixed(0)} us <= 120 us ${verdict(us <= 120)}`,
    );
  }
  for (const lines of SIZES) {
    const c = at(lines, 8);
    const ratio = percentile(c.ingest.latenciesMs, 99) / percentile(c.direct.latenciesMs, 99);
    notes.push(
      `target push p99 via ingest / direct, ${lines} lines × 8: ${ratio.toFixed(2)} <= 2 ${verdict(ratio <= 2)}`,
    );
  }
  return { notes, rpsRatio64 };
}

export async function benchIngestThroughput(quick: boolean): Promise<BenchResult> {
  const influx = await startInfluxDB();
  try {
    await influxCreateDatabase(influx.url, 'direct');
    await influxCreateDatabase(influx.url, 'ingest');
    const ingest = await startIngestChild({
      influxdbUrl: `${influx.url}/write?db=ingest`,
      // The clients share one address and send as fast as they can: no rate limits, and room
      // for all 64 at once from that address, as if each were its own host.
      peerRatePerMinute: 0,
      addressRatePerMinute: 0,
      maxConcurrentRequests: 4 * Math.max(...CLIENTS),
      clientSharePercent: 100,
    });
    try {
      const targets = {
        direct: { url: new URL(`${influx.url}/write?db=direct&precision=n`), headers: () => ({}) },
        ingest: ingestTarget(ingest.url),
      };
      const pids: Processes = { influxPid: () => influx.pid, ingestPid: ingest.pid };
      await firstPass(targets, quick);
      const cases: CaseResult[] = [];
      for (const lines of SIZES) {
        for (const clients of CLIENTS) {
          cases.push(await runCase(lines, clients, targets, pids, quick));
        }
      }
      const memory = await ingest.memory();
      const { notes, rpsRatio64 } = targetNotes(cases);
      const rounds = quick ? 1 : 2;
      return result({
        id: 4,
        title:
          'client pushes into InfluxDB 1.6 via the ingest against directly, 50/200/2000-line gzip bodies, 8 and 64 clients',
        figures: [
          ...cases.flatMap(caseFigures),
          {
            label: 'ingest process peak resident memory',
            value: memory.peakRss / 2 ** 20,
            unit: 'MiB',
          },
        ],
        ratio: rpsRatio64,
        ratioMeaning: 'lowest via-ingest / direct req/s over body sizes, 64 clients',
        target: { comparison: '>=', value: 1 },
        notes: [
          ...notes,
          `${rounds} timed run(s) of ${quick ? 0.8 : RUN_MS / 1000} s per side per case${rounds > 1 ? ' (ABBA order)' : ''}, each case after an untimed run of that length per side, all after an untimed pass of ${quick ? 0.3 : FIRST_PASS_MS / 1000} s per side over every case; every answer was 204; ingest with its default group commit (2 ms linger)`,
          'CPU from /proc/<pid>/stat (10 ms ticks); ingest in its own Node process from dist/, InfluxDB 1.6 and the load generator on the same machine',
        ],
      });
    } finally {
      await ingest.stop();
    }
  } finally {
    await influx.dispose();
  }
}

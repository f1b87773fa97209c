// Benchmark 4: client pushes into InfluxDB 1.6 through the ingest (validate, group commit,
// forward) against the same gzip bodies written to the same InfluxDB directly, at 50-, 200- and
// 2,000-line bodies with 8 and 64 concurrent clients, sides alternating (ABBA). Per case: req/s,
// lines/s, the ingest's CPU per request, InfluxDB's CPU per stored line (both from /proc), and
// push latency p50/p99. InfluxDB pays a large fixed cost per write, which group commit saves.
// Each body size starts on an empty InfluxDB (same port, fresh data), so no case inherits the
// compactions of the ones before it; and the floors the targets are read against (a bare
// node:http server, InfluxDB fed large writes) are measured in the same run.
import { influxCreateDatabase } from '../test/helpers/backend-clients.js';
import { type RunningServer, startInfluxDB } from '../test/setup/backends.js';
import { startIngestChild } from './lib/ingest-child.js';
import { cpuSeconds } from './lib/proc-cpu.js';
import {
  type ClientBody,
  clientBodies,
  drive,
  ingestTarget,
  type Target,
} from './lib/push-load.js';
import { type BenchResult, type Figure, result } from './lib/report.js';
import { type Floors, measureFloors } from './lib/throughput-floors.js';

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

/** One side's runs of a case, summed. */
interface SideTotals {
  requests: number;
  lines: number;
  seconds: number;
  latenciesMs: number[];
  influxCpu: number;
  ingestCpu: number;
  /** Combined database writes the ingest made, and the pushes they held. */
  groups: number;
  groupedPushes: number;
}

interface CaseResult {
  readonly lines: number;
  readonly clients: number;
  readonly direct: SideTotals;
  readonly ingest: SideTotals;
}

function emptyTotals(): SideTotals {
  return {
    requests: 0,
    lines: 0,
    seconds: 0,
    latenciesMs: [],
    influxCpu: 0,
    ingestCpu: 0,
    groups: 0,
    groupedPushes: 0,
  };
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
  /** The ingest's /metrics. */
  readonly ingestMetrics: string;
}

/** The ingest's count of combined writes so far, and of the pushes in them. */
async function groupCounts(metricsUrl: string): Promise<{ groups: number; pushes: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    groups: read('netbird_ingest_group_commit_pushes_count'),
    pushes: read('netbird_ingest_group_commit_pushes_sum'),
  };
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
  const groupsBefore = await groupCounts(pids.ingestMetrics);
  const influxBefore = await cpuSeconds(pids.influxPid());
  const ingestBefore = await cpuSeconds(pids.ingestPid);
  const run = await drive(target, bodies, ms, clients);
  totals.influxCpu += (await cpuSeconds(pids.influxPid())) - influxBefore;
  totals.ingestCpu += (await cpuSeconds(pids.ingestPid)) - ingestBefore;
  const groupsAfter = await groupCounts(pids.ingestMetrics);
  totals.groups += groupsAfter.groups - groupsBefore.groups;
  totals.groupedPushes += groupsAfter.pushes - groupsBefore.pushes;
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
    {
      label: `${name}: pushes per combined database write`,
      value: c.ingest.groupedPushes / c.ingest.groups,
      unit: 'pushes',
    },
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

/** The targets, each as a line: ratio, bound, PASS or MISS, with the floor it is read against. */
function targetNotes(
  cases: readonly CaseResult[],
  floors: Floors,
): { notes: string[]; rpsRatio64: number } {
  const at = (lines: number, clients: number) =>
    cases.find((c) => c.lines === lines && c.clients === clients) as CaseResult;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const notes: string[] = [];
  for (const clients of CLIENTS) {
    const c = at(50, clients);
    const direct = influxUsPerLine(c.direct);
    const ratio = influxUsPerLine(c.ingest) / direct;
    const best = (floors.influxPlainUsPerLine.get(clients) ?? Number.NaN) / direct;
    notes.push(
      `target InfluxDB CPU per stored line via ingest / direct, 50 lines × ${clients}: ${ratio.toFixed(2)} <= 0.6 ${verdict(ratio <= 0.6)} (floor, all ${clients} pushes in every write, plain / direct: ${best.toFixed(2)})`,
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
    const bare = floors.bareUsPerRequest.get(clients) ?? Number.NaN;
    notes.push(
      `target ingest CPU per request, 50 lines × ${clients}: ${us.toFixed(0)} us <= 120 us ${verdict(us <= 120)} (bare node:http + gunzip + 204: ${bare.toFixed(0)} us, at ${(floors.bareRps.get(clients) ?? 0).toFixed(0)} req/s; ingest / bare ${(us / bare).toFixed(2)})`,
    );
  }
  for (const lines of SIZES) {
    const c = at(lines, 8);
    const ratio = percentile(c.ingest.latenciesMs, 99) / percentile(c.direct.latenciesMs, 99);
    notes.push(
      `target push p99 via ingest / direct, ${lines} lines × 8: ${ratio.toFixed(2)} <= 2 ${verdict(ratio <= 2)}`,
    );
  }
  for (const clients of CLIENTS) {
    const plain = floors.influxPlainUsPerLine.get(clients) ?? Number.NaN;
    const gzip = floors.influxGzipUsPerLine.get(clients) ?? Number.NaN;
    notes.push(
      `InfluxDB CPU per line for ${clients * 50}-line writes, 2 in flight: plain ${plain.toFixed(2)} us, gzip ${gzip.toFixed(2)} us (plain / gzip ${(plain / gzip).toFixed(2)})`,
    );
  }
  return { notes, rpsRatio64 };
}

/** The databases both sides write to, on an InfluxDB that holds nothing else yet. */
async function createDatabases(influx: RunningServer): Promise<void> {
  await influxCreateDatabase(influx.url, 'direct');
  await influxCreateDatabase(influx.url, 'ingest');
}

/** A new InfluxDB on the same port with empty data: the ingest's URL stays valid. */
async function emptyInflux(previous: RunningServer): Promise<RunningServer> {
  const port = previous.port;
  await previous.dispose();
  const next = await startInfluxDB({ port });
  await createDatabases(next);
  return next;
}

export async function benchIngestThroughput(quick: boolean): Promise<BenchResult> {
  let influx = await startInfluxDB();
  try {
    await createDatabases(influx);
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
      const pids: Processes = {
        influxPid: () => influx.pid,
        ingestPid: ingest.pid,
        ingestMetrics: `${ingest.url}/metrics`,
      };
      const runMs = quick ? 800 : RUN_MS;
      const floors = await measureFloors(
        influx,
        clientBodies(quick ? 2 ** 20 : 2 * 2 ** 20, 50),
        CLIENTS,
        quick,
        runMs,
      );
      await firstPass(targets, quick);
      const cases: CaseResult[] = [];
      for (const lines of SIZES) {
        influx = await emptyInflux(influx);
        for (const clients of CLIENTS) {
          cases.push(await runCase(lines, clients, targets, pids, quick));
        }
      }
      const memory = await ingest.memory();
      const { notes, rpsRatio64 } = targetNotes(cases, floors);
      const rounds = quick ? 1 : 2;
      return result({
        id: 4,
        title:
          'client pushes into InfluxDB 1.6 via the ingest against directly, 50/200/2000-line gzip bodies, 8 and 64 clients',
        figures: [
          ...cases.flatMap(caseFigures),
          ...floorFigures(floors),
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
          `${rounds} timed run(s) of ${runMs / 1000} s per side per case${rounds > 1 ? ' (ABBA order)' : ''}, each case after an untimed run of that length per side, all after an untimed pass of ${quick ? 0.3 : FIRST_PASS_MS / 1000} s per side over every case; each body size on a new, empty InfluxDB; every answer was 204; ingest with its default group commit (2 ms linger) and upstream encoding (plain below 4 MiB)`,
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

function floorFigures(floors: Floors): Figure[] {
  return [
    ...CLIENTS.map((clients) => ({
      label: `floor: bare node:http + gunzip CPU per request, 50 lines × ${clients}`,
      value: floors.bareUsPerRequest.get(clients) ?? Number.NaN,
      unit: 'us',
    })),
    ...CLIENTS.flatMap((clients) => [
      {
        label: `floor: InfluxDB CPU per line, ${clients * 50}-line plain writes`,
        value: floors.influxPlainUsPerLine.get(clients) ?? Number.NaN,
        unit: 'us',
      },
      {
        label: `floor: InfluxDB CPU per line, ${clients * 50}-line gzip writes`,
        value: floors.influxGzipUsPerLine.get(clients) ?? Number.NaN,
        unit: 'us',
      },
    ]),
  ];
}

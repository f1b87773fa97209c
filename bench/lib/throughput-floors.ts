// The floors benchmark 4's ingest figures are read against, measured in the same run: what a bare
// node:http server costs per push (read, gunzip, 204), and what InfluxDB costs per line when N
// clients' 50-line pushes are combined perfectly (every write holds all N × 50 lines, two
// writes in flight, as group commit sends them), plain and gzip. A target below a floor cannot be
// met by the ingest, whatever it does.
import { fileURLToPath } from 'node:url';
import { influxCreateDatabase } from '../../test/helpers/backend-clients.js';
import { startServerChild } from './ingest-child.js';
import { cpuSeconds } from './proc-cpu.js';
import { type ClientBody, clientBodies, drive, type Target } from './push-load.js';

const BARE_SERVER = fileURLToPath(new URL('../children/bare-push-server.mjs', import.meta.url));
/** Lines per client push whose perfect combination the InfluxDB floor measures. */
const PUSH_LINES = 50;
/** Writes in flight at once, as group commit keeps them by default. */
const FLOOR_WRITERS = 2;

export interface Floors {
  /** CPU per request of the bare server, per client count, in microseconds. */
  readonly bareUsPerRequest: ReadonlyMap<number, number>;
  /** Requests per second the bare server answered, per client count. */
  readonly bareRps: ReadonlyMap<number, number>;
  /** InfluxDB CPU per line for writes of N × 50 lines, per client count N, in microseconds. */
  readonly influxPlainUsPerLine: ReadonlyMap<number, number>;
  readonly influxGzipUsPerLine: ReadonlyMap<number, number>;
}

interface Measured {
  requests: number;
  lines: number;
  seconds: number;
  cpu: number;
}

/** CPU that `pid` spent over one run of `clients` sending `bodies`, with what the run did. */
async function cpuOver(
  pid: number,
  target: Target,
  bodies: readonly ClientBody[],
  ms: number,
  clients: number,
  into: Measured,
): Promise<void> {
  const before = await cpuSeconds(pid);
  const run = await drive(target, bodies, ms, clients);
  into.cpu += (await cpuSeconds(pid)) - before;
  into.requests += run.requests;
  into.lines += run.lines;
  into.seconds += run.seconds;
}

const empty = (): Measured => ({ requests: 0, lines: 0, seconds: 0, cpu: 0 });

/** The bare server at each client count, on the same 50-line bodies as the ingest. */
async function bareFloors(
  bodies: readonly ClientBody[],
  clientCounts: readonly number[],
  ms: number,
): Promise<Pick<Floors, 'bareUsPerRequest' | 'bareRps'>> {
  const server = await startServerChild(BARE_SERVER);
  try {
    const target: Target = { url: new URL(`${server.url}/`), headers: () => ({}) };
    const perRequest = new Map<number, number>();
    const rps = new Map<number, number>();
    // Warmed at every client count before any is timed: a fresh process runs cold for seconds.
    for (const clients of clientCounts) await drive(target, bodies, 2 * ms, clients);
    for (const clients of clientCounts) {
      const m = empty();
      await cpuOver(server.pid, target, bodies, ms, clients, m);
      perRequest.set(clients, (m.cpu / m.requests) * 1e6);
      rps.set(clients, m.requests / m.seconds);
    }
    return { bareUsPerRequest: perRequest, bareRps: rps };
  } finally {
    await server.stop();
  }
}

/** InfluxDB fed writes of `lines` lines from two writers, plain and gzip alternating (ABBA). */
async function influxFloor(
  url: URL,
  influxPid: number,
  lines: number,
  quick: boolean,
  ms: number,
): Promise<{ plain: number; gzip: number }> {
  const size = quick ? 2 * 2 ** 20 : 6 * 2 ** 20;
  const sides = {
    plain: {
      target: { url, plain: true, headers: () => ({}) },
      bodies: clientBodies(size, lines, true),
    },
    gzip: { target: { url, headers: () => ({}) }, bodies: clientBodies(size, lines) },
  };
  const totals = { plain: empty(), gzip: empty() };
  for (const side of ['plain', 'gzip'] as const) {
    await drive(sides[side].target, sides[side].bodies, ms, FLOOR_WRITERS);
  }
  const order = quick
    ? (['plain', 'gzip'] as const)
    : (['plain', 'gzip', 'gzip', 'plain'] as const);
  for (const side of order) {
    const { target, bodies } = sides[side];
    await cpuOver(influxPid, target, bodies, ms, FLOOR_WRITERS, totals[side]);
  }
  return {
    plain: (totals.plain.cpu / totals.plain.lines) * 1e6,
    gzip: (totals.gzip.cpu / totals.gzip.lines) * 1e6,
  };
}

/** The InfluxDB floor at every client count, in a database of its own. */
async function influxFloors(
  influxUrl: string,
  influxPid: number,
  clientCounts: readonly number[],
  quick: boolean,
  ms: number,
): Promise<Pick<Floors, 'influxPlainUsPerLine' | 'influxGzipUsPerLine'>> {
  await influxCreateDatabase(influxUrl, 'floor');
  const url = new URL(`${influxUrl}/write?db=floor&precision=n`);
  const plain = new Map<number, number>();
  const gzip = new Map<number, number>();
  for (const clients of clientCounts) {
    const floor = await influxFloor(url, influxPid, clients * PUSH_LINES, quick, ms);
    plain.set(clients, floor.plain);
    gzip.set(clients, floor.gzip);
  }
  return { influxPlainUsPerLine: plain, influxGzipUsPerLine: gzip };
}

export async function measureFloors(
  influx: { url: string; pid: number },
  bodies50: readonly ClientBody[],
  clientCounts: readonly number[],
  quick: boolean,
  ms: number,
): Promise<Floors> {
  const bare = await bareFloors(bodies50, clientCounts, ms);
  const db = await influxFloors(influx.url, influx.pid, clientCounts, quick, ms);
  return { ...bare, ...db };
}

// The floors benchmark 4's ingest figures are read against, measured in the same run: what a bare
// node:http server costs per push (read, gunzip, 204), and what InfluxDB costs per line when it
// is fed the way it likes best (large writes from few clients), plain and gzip. A target below a
// floor cannot be met by the ingest, whatever it does.
import { fileURLToPath } from 'node:url';
import { influxCreateDatabase } from '../../test/helpers/backend-clients.js';
import { startServerChild } from './ingest-child.js';
import { cpuSeconds } from './proc-cpu.js';
import { type ClientBody, clientBodies, drive, type Target } from './push-load.js';

const BARE_SERVER = fileURLToPath(new URL('../children/bare-push-server.mjs', import.meta.url));
/** Lines per write of InfluxDB's floor: large writes, as InfluxData advises. */
export const FLOOR_LINES = 5_000;
const FLOOR_CLIENTS = 2;

export interface Floors {
  /** CPU per request of the bare server, per client count, in microseconds. */
  readonly bareUsPerRequest: ReadonlyMap<number, number>;
  /** Requests per second the bare server answered, per client count. */
  readonly bareRps: ReadonlyMap<number, number>;
  /** InfluxDB CPU per line for FLOOR_LINES-line writes, in microseconds. */
  readonly influxPlainUsPerLine: number;
  readonly influxGzipUsPerLine: number;
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

/** InfluxDB fed large writes from few clients, plain and gzip alternating (ABBA). */
async function influxFloors(
  influxUrl: string,
  influxPid: number,
  quick: boolean,
  ms: number,
): Promise<Pick<Floors, 'influxPlainUsPerLine' | 'influxGzipUsPerLine'>> {
  await influxCreateDatabase(influxUrl, 'floor');
  const url = new URL(`${influxUrl}/write?db=floor&precision=n`);
  const size = quick ? 2 * 2 ** 20 : 6 * 2 ** 20;
  const sides = {
    plain: {
      target: { url, plain: true, headers: () => ({}) },
      bodies: clientBodies(size, FLOOR_LINES, true),
    },
    gzip: { target: { url, headers: () => ({}) }, bodies: clientBodies(size, FLOOR_LINES) },
  };
  const totals = { plain: empty(), gzip: empty() };
  for (const side of ['plain', 'gzip'] as const) {
    await drive(sides[side].target, sides[side].bodies, ms, FLOOR_CLIENTS);
  }
  const order = quick
    ? (['plain', 'gzip'] as const)
    : (['plain', 'gzip', 'gzip', 'plain'] as const);
  for (const side of order) {
    const { target, bodies } = sides[side];
    await cpuOver(influxPid, target, bodies, ms, FLOOR_CLIENTS, totals[side]);
  }
  return {
    influxPlainUsPerLine: (totals.plain.cpu / totals.plain.lines) * 1e6,
    influxGzipUsPerLine: (totals.gzip.cpu / totals.gzip.lines) * 1e6,
  };
}

export async function measureFloors(
  influx: { url: string; pid: number },
  bodies50: readonly ClientBody[],
  clientCounts: readonly number[],
  quick: boolean,
  ms: number,
): Promise<Floors> {
  const bare = await bareFloors(bodies50, clientCounts, ms);
  const db = await influxFloors(influx.url, influx.pid, quick, ms);
  return { ...bare, ...db };
}

// Benchmark 4: requests per second through the ingest (validate, then forward to InfluxDB 1.6)
// against the same gzip batches written to the same InfluxDB 1.6 directly, with the same client
// and the same concurrency. Target: at least 0.8 of the direct rate.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { influxCreateDatabase } from '../test/helpers/backend-clients.js';
import { startInfluxDB } from '../test/setup/backends.js';
import { lineBody, splitLines } from './lib/bodies.js';
import { startIngestChild } from './lib/ingest-child.js';
import { type BenchResult, result } from './lib/report.js';

const LINES_PER_BATCH = 200;
const CONCURRENCY = 8;

export interface Target {
  url: URL;
  headers: (i: number) => Record<string, string>;
}

function post(agent: Agent, target: Target, body: Buffer, i: number): Promise<number> {
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

/** Sends batches round-robin from `concurrency` workers for `ms`; returns requests per second. */
export async function load(target: Target, bodies: readonly Buffer[], ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let done = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = next++;
      const status = await post(agent, target, bodies[i % bodies.length] as Buffer, i);
      if (status !== 204) throw new Error(`${target.url.origin}: HTTP ${status} for batch ${i}`);
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
  return done / ((performance.now() - started) / 1000);
}

/** Realistic client pushes: gzip batches of {@link LINES_PER_BATCH} lines. */
export function batches(bytes: number): Buffer[] {
  return splitLines(lineBody(bytes, 5).text, LINES_PER_BATCH).map((b) => gzipSync(b));
}

/** The ingest as a target: each batch from one of 1000 peers (pushes carry X-Peer-ID). */
export function ingestTarget(baseUrl: string): Target {
  const peerIds = Array.from({ length: 1000 }, () => randomBytes(8).toString('hex'));
  return {
    url: new URL(`${baseUrl}/`),
    headers: (i) => ({ 'x-peer-id': peerIds[i % peerIds.length] as string }),
  };
}

export async function benchIngestThroughput(quick: boolean): Promise<BenchResult> {
  const influx = await startInfluxDB();
  try {
    await influxCreateDatabase(influx.url, 'direct');
    await influxCreateDatabase(influx.url, 'ingest');
    const ingest = await startIngestChild({
      influxdbUrl: `${influx.url}/write?db=ingest`,
      // The benchmark is one client sending as fast as it can: no per-peer or per-address limits.
      peerRatePerMinute: 0,
      addressRatePerMinute: 0,
    });
    try {
      const bodies = batches(quick ? 2 * 2 ** 20 : 8 * 2 ** 20);
      const direct: Target = {
        url: new URL(`${influx.url}/write?db=direct&precision=n`),
        headers: () => ({}),
      };
      const viaIngest = ingestTarget(ingest.url);
      const runMs = quick ? 1_000 : 5_000;
      // Warm both paths (JIT, connections, InfluxDB's first shard), then ABBA rounds.
      await load(direct, bodies, 500);
      await load(viaIngest, bodies, 500);
      const d: number[] = [];
      const v: number[] = [];
      d.push(await load(direct, bodies, runMs));
      v.push(await load(viaIngest, bodies, runMs));
      if (!quick) {
        v.push(await load(viaIngest, bodies, runMs));
        d.push(await load(direct, bodies, runMs));
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const directRps = mean(d);
      const ingestRps = mean(v);
      const memory = await ingest.memory();
      return result({
        id: 4,
        title: `requests/s into InfluxDB 1.6, ${LINES_PER_BATCH}-line gzip batches, ${CONCURRENCY} concurrent`,
        figures: [
          {
            label: 'ours: client → ingest (validate, forward) → InfluxDB',
            value: ingestRps,
            unit: 'req/s',
          },
          {
            label: 'ours: lines stored per second',
            value: ingestRps * LINES_PER_BATCH,
            unit: 'lines/s',
          },
          { label: 'anchor: client → InfluxDB /write directly', value: directRps, unit: 'req/s' },
          {
            label: 'ingest process peak resident memory',
            value: memory.peakRss / 2 ** 20,
            unit: 'MiB',
          },
        ],
        ratio: ingestRps / directRps,
        ratioMeaning: 'through-ingest rate / direct rate',
        target: { comparison: '>=', value: 0.8 },
        notes: [
          `${bodies.length} distinct batches sent round-robin; ${d.length} timed run(s) of ${runMs / 1000} s per side${d.length > 1 ? ' (ABBA order)' : ''}; every answer was 204`,
          'ingest in its own Node process from dist/, InfluxDB 1.6 and the load generator on the same machine',
        ],
      });
    } finally {
      await ingest.stop();
    }
  } finally {
    await influx.dispose();
  }
}

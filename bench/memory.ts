// Benchmark 5: memory bounds, each measured in a child process of its own.
// (a) A client in a network of 100 000 peers records a simulated day: the store stays at its
//     bound and the heap (after GC, ArrayBuffers included) within 8 MiB of the idle process:
//     a full store is about the bytes of its 20 480 lines (≈ 5 MB), plus small caches.
// (b) The ingest refuses a gzip bomb and accepts a 50 MiB body, staying under 200 MiB resident.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createGzip } from 'node:zlib';
import { influxCreateDatabase } from '../test/helpers/backend-clients.js';
import { startInfluxDB } from '../test/setup/backends.js';
import { lineBody } from './lib/bodies.js';
import { runChild } from './lib/child.js';
import { startIngestChild } from './lib/ingest-child.js';
import { type BenchResult, result } from './lib/report.js';

const MiB = 2 ** 20;

interface FleetDay {
  peers: number;
  events: number;
  recorded: number;
  rejected: number;
  idleHeap: number;
  peakHeap: number;
  stored: number;
  maxStored: number;
  maxSamples: number;
  droppedBySize: number;
}

export async function benchFleetMemory(quick: boolean): Promise<BenchResult> {
  const r = await runChild<FleetDay>(new URL('./children/fleet-day.ts', import.meta.url), {
    nodeArgs: ['--expose-gc'],
    env: { FLEET_PEERS: String(quick ? 20_000 : 100_000) },
    timeoutMs: 120_000,
  });
  const growth = (r.peakHeap - r.idleHeap) / MiB;
  const atBound = r.stored === r.maxSamples && r.maxStored <= r.maxSamples;
  const notes = [
    `${r.events.toLocaleString('en-US')} events → ${r.recorded.toLocaleString('en-US')} samples recorded (${r.rejected} refused); ${r.droppedBySize.toLocaleString('en-US')} oldest dropped at the bound`,
    'heap = heapUsed + arrayBuffers after two forced GCs, checked every simulated hour, minus the event schedule the simulator itself holds',
  ];
  if (!atBound) notes.push(`STORE NOT AT ITS BOUND: ${r.stored} stored, max ${r.maxStored}`);
  const res = result({
    id: 5,
    title: `memory (a): one client, ${r.peers.toLocaleString('en-US')} peers, a simulated day`,
    figures: [
      { label: 'idle heap', value: r.idleHeap / MiB, unit: 'MiB' },
      { label: 'peak heap during the day', value: r.peakHeap / MiB, unit: 'MiB' },
      { label: 'store size at the end / bound', value: r.stored, unit: `/ ${r.maxSamples}` },
    ],
    ratio: growth,
    ratioMeaning: 'heap growth over idle, MiB',
    target: { comparison: '<=', value: 8 },
    notes,
  });
  return atBound ? res : { ...res, pass: false };
}

/** gzip of `decodedBytes` of one valid line repeated: tiny on the wire, huge once decoded. */
async function gzipBomb(decodedBytes: number): Promise<Buffer> {
  const line = lineBody(200).text;
  const block = Buffer.alloc(2 ** 20 - (2 ** 20 % line.length));
  for (let i = 0; i + line.length <= block.length; i += line.length) line.copy(block, i);
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gz.once('end', resolve);
    gz.once('error', reject);
  });
  for (let written = 0; written < decodedBytes; written += block.length) {
    if (!gz.write(block)) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await done;
  return Buffer.concat(out);
}

function postGzip(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-encoding': 'gzip',
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(body.length),
        'x-peer-id': randomBytes(8).toString('hex'),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: text.trim() }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before it has read everything.
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchIngestMemory(quick: boolean): Promise<BenchResult> {
  const influx = await startInfluxDB();
  try {
    await influxCreateDatabase(influx.url, 'memory');
    const ingest = await startIngestChild({ influxdbUrl: `${influx.url}/write?db=memory` });
    try {
      const idle = await ingest.memory();
      const bombDecoded = (quick ? 128 : 1024) * MiB;
      const bomb = await gzipBomb(bombDecoded);
      const refused = await postGzip(`${ingest.url}/`, bomb);
      const afterBomb = await ingest.memory();
      // The largest body the ingest takes by default: 50 MiB decoded (INGEST_MAX_DECODED_BYTES).
      const body = lineBody(quick ? 10 * MiB : 50 * MiB - 1024, 9);
      const accepted = await postGzip(`${ingest.url}/`, body.gzip);
      const end = await ingest.memory();
      const problems: string[] = [];
      if (refused.status !== 413)
        problems.push(`gzip bomb answered ${refused.status} ${refused.text}, not 413`);
      if (accepted.status !== 204)
        problems.push(`50 MiB body answered ${accepted.status} ${accepted.text}, not 204`);
      const peak = end.peakRss / MiB;
      const res = result({
        id: 5,
        title: `memory (b): ingest refusing a gzip bomb, then storing a ${(body.text.length / MiB).toFixed(0)} MiB body in InfluxDB 1.6`,
        figures: [
          { label: 'resident at idle', value: idle.rss / MiB, unit: 'MiB' },
          {
            label: `peak resident after the bomb (${(bomb.length / MiB).toFixed(1)} MiB gzip → ${bombDecoded / MiB} MiB)`,
            value: afterBomb.peakRss / MiB,
            unit: 'MiB',
          },
          {
            label: `peak resident after the body (${(body.gzip.length / MiB).toFixed(1)} MiB gzip, ${body.lines.toLocaleString('en-US')} lines)`,
            value: peak,
            unit: 'MiB',
          },
        ],
        ratio: peak,
        ratioMeaning: 'peak resident memory of the ingest process, MiB',
        target: { comparison: '<=', value: 200 },
        notes: [
          `bomb: ${refused.status} ${refused.text}; body: ${accepted.status}`,
          'resident = VmHWM/VmRSS of the ingest child (plain Node from dist/) read from /proc',
          ...problems,
        ],
      });
      return problems.length > 0 ? { ...res, pass: false } : res;
    } finally {
      await ingest.stop();
    }
  } finally {
    await influx.dispose();
  }
}

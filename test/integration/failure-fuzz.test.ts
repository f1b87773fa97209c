// Failure test 6: fuzzing the ingest. At least 100 000 generated and damaged bodies go through
// the ingest's validator (most directly, a share over HTTP): nothing crashes, nothing gets a 5xx,
// every verdict is well-formed, and every line the ingest passes on is accepted by a real
// InfluxDB 1.6 (written back in a few large batches).
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createIngestServer } from '../../src/ingest/server.js';
import { VALIDATION_REASONS, type ValidationResult } from '../../src/ingest/validate/result.js';
import { validateLineProtocol } from '../../src/ingest/validate/validate.js';
import { influxCreateDatabase, influxIdent, uniqueName } from '../helpers/backend-clients.js';
import { bodyArb, corpus, seededBodies } from '../helpers/fuzz-bodies.js';

const influxUrl = inject('influxdbUrl');

const PROPERTY_RUNS = 30_000;
const CORPUS_BODIES = 70_000;
/** Bodies sent over HTTP to an ingest that forwards to InfluxDB 1.6 itself. */
const HTTP_BODIES = 6_000;
const HTTP_CONCURRENCY = 16;
/** Lines per write to InfluxDB: large writes keep the check fast. */
const WRITE_LINES = 5_000;
/** A fresh database every so many lines keeps InfluxDB's per-tag value limit (100 000) out of reach. */
const LINES_PER_DATABASE = 20_000;

const databases: string[] = [];
afterAll(async () => {
  for (const db of databases) {
    await fetch(`${influxUrl}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `DROP DATABASE ${influxIdent(db)}` }),
      signal: AbortSignal.timeout(10_000),
    });
  }
});

function describeBody(body: string | Uint8Array): string {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('latin1');
  return JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…` : text);
}

/**
 * What every verdict must look like. Returns the lines passed on (each without its newline).
 * Throws with the body when a rule is broken, so the failure shows the input.
 */
function checkVerdict(body: string | Uint8Array, r: ValidationResult): string[] {
  if (!r.ok) {
    if (!VALIDATION_REASONS.includes(r.reason)) throw new Error(`unknown reason ${r.reason}`);
    if (r.line < 0 || (r.line > 0 && !r.message.startsWith(`line ${r.line}: `))) {
      throw new Error(`bad failure ${JSON.stringify(r)} for ${describeBody(body)}`);
    }
    return [];
  }
  const output = r.output;
  if (!output.endsWith('\n'))
    throw new Error(`output without final newline for ${describeBody(body)}`);
  const lines = output.slice(0, -1).split('\n');
  if (lines.length !== r.lines) {
    throw new Error(
      `${r.lines} lines counted, ${lines.length} passed on, for ${describeBody(body)}`,
    );
  }
  // What the ingest passes on is itself valid and passes through unchanged.
  const again = validateLineProtocol(output);
  if (!again.ok || again.output !== output) {
    throw new Error(
      `output does not re-validate unchanged (${again.ok ? 'changed' : again.message}) for ${describeBody(body)}`,
    );
  }
  return lines;
}

/** Writes lines to InfluxDB 1.6; on refusal, narrows down to the first line it refuses. */
async function writeAll(lines: readonly string[]): Promise<void> {
  for (let start = 0; start < lines.length; start += LINES_PER_DATABASE) {
    const db = uniqueName('fuzz');
    await influxCreateDatabase(influxUrl, db);
    databases.push(db);
    const slice = lines.slice(start, start + LINES_PER_DATABASE);
    for (let i = 0; i < slice.length; i += WRITE_LINES) {
      await writeOrBisect(db, slice.slice(i, i + WRITE_LINES));
    }
  }
}

async function write(
  db: string,
  lines: readonly string[],
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${influxUrl}/write?db=${db}`, {
    method: 'POST',
    body: `${lines.join('\n')}\n`,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.text() };
}

async function writeOrBisect(db: string, lines: readonly string[]): Promise<void> {
  const res = await write(db, lines);
  if (res.status === 204) return;
  let bad = lines;
  while (bad.length > 1) {
    const half = bad.slice(0, Math.ceil(bad.length / 2));
    bad = (await write(db, half)).status === 204 ? bad.slice(half.length) : half;
  }
  const single = bad.length === 1 ? await write(db, bad) : res;
  throw new Error(
    `InfluxDB 1.6 refused a line the ingest passes on: ${JSON.stringify(bad[0])}: HTTP ${single.status} ${single.body}`,
  );
}

describe('fuzzing the ingest validator', () => {
  it(`${PROPERTY_RUNS} fast-check bodies: verdicts are well-formed and InfluxDB 1.6 takes every line passed on`, async () => {
    const passedOn = new Set<string>();
    let accepted = 0;
    fc.assert(
      fc.property(bodyArb, (body) => {
        const lines = checkVerdict(body, validateLineProtocol(body));
        if (lines.length > 0) accepted++;
        for (const line of lines) passedOn.add(line);
      }),
      { numRuns: PROPERTY_RUNS, seed: 20261125 },
    );
    // The run exercises both outcomes in volume, or it proves little.
    expect(accepted).toBeGreaterThan(PROPERTY_RUNS / 10);
    expect(accepted).toBeLessThan(PROPERTY_RUNS * 0.9);
    expect(passedOn.size).toBeGreaterThan(1_000);
    await writeAll([...passedOn]);
  }, 120_000);

  it(`${CORPUS_BODIES} damaged corpus bodies: verdicts are well-formed and InfluxDB 1.6 takes every line passed on`, async () => {
    const next = seededBodies(corpus(3_000, 7), 11);
    const passedOn = new Set<string>();
    const reasons = new Set<string>();
    let accepted = 0;
    for (let i = 0; i < CORPUS_BODIES; i++) {
      const body = next();
      let r: ValidationResult;
      try {
        r = validateLineProtocol(body);
      } catch (error) {
        throw new Error(`validator threw on body #${i} ${describeBody(body)}: ${String(error)}`);
      }
      const lines = checkVerdict(body, r);
      if (r.ok) accepted++;
      else reasons.add(r.reason);
      for (const line of lines) passedOn.add(line);
    }
    expect(accepted).toBeGreaterThan(CORPUS_BODIES / 10);
    expect(passedOn.size).toBeGreaterThan(1_000);
    // The damage reaches the checks that matter, not only the first one.
    for (const reason of [
      'invalid encoding',
      'duplicate tag',
      'duplicate field',
      'invalid field value',
      'invalid timestamp',
      'tag value too long',
      'non-finite value',
      'too large',
    ]) {
      expect(reasons).toContain(reason);
    }
    await writeAll([...passedOn]);
  }, 120_000);
});

function post(
  agent: Agent,
  url: string,
  body: string | Uint8Array,
  gzip: boolean,
  peerId: string,
): Promise<{ status: number; text: string }> {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const payload = gzip ? gzipSync(raw) : raw;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(payload.length),
        'x-peer-id': peerId,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('fuzzing the ingest over HTTP', () => {
  it(`${HTTP_BODIES} bodies: never a 5xx, the verdict is the validator's, and InfluxDB 1.6 stores what is accepted`, async () => {
    const db = uniqueName('fuzzhttp');
    await influxCreateDatabase(influxUrl, db);
    databases.push(db);
    const server = createIngestServer({
      influxdbUrl: `${influxUrl}/write?db=${db}`,
      peerRatePerMinute: 0,
      addressRatePerMinute: 0,
      logLevel: 'silent',
    });
    const { url } = await server.listen(0, '127.0.0.1');
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    try {
      // Half from each generator; every other body gzipped.
      const fromProperty = fc.sample(bodyArb, { numRuns: HTTP_BODIES / 2, seed: 99 });
      const next = seededBodies(corpus(1_000, 13), 17);
      const bodies = [...fromProperty, ...Array.from({ length: HTTP_BODIES / 2 }, next)];
      const statuses = new Map<number, number>();
      let i = 0;
      const worker = async () => {
        while (i < bodies.length) {
          const k = i++;
          const body = bodies[k] as string | Uint8Array;
          const expected = validateLineProtocol(body);
          const peer = (0x1000_0000_0000_0000n + BigInt(k)).toString(16);
          const res = await post(agent, `${url}/`, body, k % 2 === 0, peer);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const agrees = expected.ok
            ? res.status === 204
            : res.status === 400 || res.status === 413;
          if (res.status >= 500 || !agrees) {
            throw new Error(
              `body #${k} ${describeBody(body)}: HTTP ${res.status} ${res.text.trim()}; validator: ${expected.ok ? 'ok' : expected.message}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
      expect(statuses.get(204)).toBeGreaterThan(HTTP_BODIES / 10);
      expect(statuses.get(400)).toBeGreaterThan(HTTP_BODIES / 10);
      // What the ingest answered 204 for is in InfluxDB: its lines all arrived.
      expect(server.metrics.upstreamRequests.get(['influxdb-v1', 'ok'])).toBe(statuses.get(204));
    } finally {
      agent.destroy();
      await server.close();
    }
  }, 120_000);
});

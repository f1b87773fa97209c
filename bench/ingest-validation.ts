// Benchmark 3: the ingest's streaming validation of a 50 MiB gzip body against gunzip alone of
// the same body, both streamed chunk by chunk as the server reads a request.
// Target: (gunzip + validate) / gunzip ≤ 2.0.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LineValidator } from '../src/ingest/validate/validate.js';
import { lineBody } from './lib/bodies.js';
import { timePair } from './lib/measure.js';
import { type BenchResult, result } from './lib/report.js';

const BODY_BYTES = 50 * 2 ** 20;
/** The ingest's gunzip output chunk (src/ingest/body.ts). */
const GUNZIP_CHUNK = 64 * 1024;

/** Gunzips `gz` in the ingest's chunk size, handing each chunk on; resolves with the decoded size. */
export async function gunzipChunks(gz: Buffer, onChunk: (chunk: Buffer) => void): Promise<number> {
  let bytes = 0;
  for await (const chunk of Readable.from([gz]).pipe(createGunzip({ chunkSize: GUNZIP_CHUNK }))) {
    bytes += (chunk as Buffer).length;
    onChunk(chunk as Buffer);
  }
  return bytes;
}

export async function benchIngestValidation(quick: boolean): Promise<BenchResult> {
  const body = lineBody(quick ? BODY_BYTES / 10 : BODY_BYTES);
  const expectLines = body.lines;
  let lastLines = 0;
  const timing = await timePair(
    'ingest validation',
    {
      fn: async () => {
        const validator = new LineValidator();
        await gunzipChunks(body.gzip, (chunk) => validator.push(chunk));
        const r = validator.end();
        if (!r.ok) throw new Error(`validation benchmark: realistic body refused: ${r.message}`);
        lastLines = r.lines;
      },
      opsPerCall: 1,
    },
    {
      fn: () => gunzipChunks(body.gzip, () => {}),
      opsPerCall: 1,
    },
    { timeMs: quick ? 100 : 1_000, rounds: quick ? 1 : 3, minIterations: 3, warmupMs: 1 },
  );
  if (lastLines !== expectLines) {
    throw new Error(`validation benchmark: passed ${lastLines} lines of ${expectLines}`);
  }
  const mib = body.text.length / 2 ** 20;
  const mbPerS = (nsPerBody: number) => body.text.length / 1e6 / (nsPerBody / 1e9);
  return result({
    id: 3,
    title: `ingest validation, ${mib.toFixed(0)} MiB of line protocol (${(body.gzip.length / 2 ** 20).toFixed(1)} MiB gzip, ${body.lines.toLocaleString('en-US')} lines)`,
    figures: [
      {
        label: 'ours: gunzip + LineValidator',
        value: timing.subjectNsPerOp / 1e6,
        unit: 'ms/body',
      },
      {
        label: 'ours: throughput (uncompressed)',
        value: mbPerS(timing.subjectNsPerOp),
        unit: 'MB/s',
      },
      { label: 'anchor: gunzip alone', value: timing.anchorNsPerOp / 1e6, unit: 'ms/body' },
      {
        label: 'anchor: throughput (uncompressed)',
        value: mbPerS(timing.anchorNsPerOp),
        unit: 'MB/s',
      },
    ],
    ratio: timing.timeRatio,
    ratioMeaning: '(gunzip + validate) time / gunzip time',
    target: { comparison: '<=', value: 2 },
    notes: [
      'both stream the body through zlib.createGunzip() with 64 KiB output chunks, as src/ingest/body.ts reads a request',
      `median of ${timing.rounds} alternating rounds; last-round ±${timing.subjectRme.toFixed(1)} % / ±${timing.anchorRme.toFixed(1)} %`,
    ],
  });
}

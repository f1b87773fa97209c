// Request bodies the ingest benchmarks send: realistic line protocol of a given size, gzipped.
import { gzipSync } from 'node:zlib';
import { encodeLineProtocol } from '../../src/protocol/line-protocol/encode.js';
import { realisticSamples } from './netbird-samples.js';

export interface LineBody {
  /** Uncompressed line protocol. */
  text: Buffer;
  gzip: Buffer;
  lines: number;
}

/** Realistic lines adding up to at least `bytes` (uncompressed), and their gzip. */
export function lineBody(bytes: number, seed = 3): LineBody {
  // About 175 bytes per line; generate a little more, then cut at a line end.
  const samples = realisticSamples(Math.ceil(bytes / 150), { seed });
  const all = Buffer.from(encodeLineProtocol(samples));
  const cut = all.indexOf(0x0a, bytes - 1);
  const text = cut < 0 ? all : all.subarray(0, cut + 1);
  let lines = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) lines++;
  return { text, gzip: gzipSync(text, { level: 6 }), lines };
}

/** Splits line protocol into bodies of about `linesPerBody` lines each. */
export function splitLines(text: Buffer, linesPerBody: number): Buffer[] {
  const bodies: Buffer[] = [];
  let start = 0;
  let count = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) {
    if (++count === linesPerBody) {
      bodies.push(text.subarray(start, i + 1));
      start = i + 1;
      count = 0;
    }
  }
  if (start < text.length) bodies.push(text.subarray(start));
  return bodies;
}

// Benchmark 1: our line-protocol encoder against @influxdata/influxdb-client's Point →
// toLineProtocol() on the same 100 000 realistic samples. Target: at least 5× faster.
import { Point } from '@influxdata/influxdb-client';
import { encodeLineProtocol } from '../src/protocol/line-protocol/encode.js';
import type { Sample } from '../src/protocol/schema.js';
import { timePair } from './lib/measure.js';
import { realisticSamples } from './lib/netbird-samples.js';
import { type BenchResult, result } from './lib/report.js';

const SAMPLES = 100_000;

interface PointInput {
  sample: Sample;
  /** ns timestamp as the decimal string Point wants (precomputed: the anchor is not charged). */
  time: string;
}

/** What a user of influxdb-client writes for one sample. */
function viaPoint(input: PointInput): string {
  const { sample } = input;
  const point = new Point(sample.measurement);
  for (const key in sample.tags) point.tag(key, sample.tags[key] as string);
  for (const key in sample.fields) point.floatField(key, sample.fields[key]);
  point.timestamp(input.time);
  return point.toLineProtocol() ?? '';
}

/** As influxdb-client's WriteApi builds a body: one line per point, joined by newlines. */
function encodeViaPoints(inputs: readonly PointInput[]): string {
  const lines: string[] = [];
  for (const input of inputs) lines.push(viaPoint(input));
  return `${lines.join('\n')}\n`;
}

/** Same content as Point writes it (Point sorts tag keys), to check both sides agree. */
function withSortedTags(sample: Sample): Sample {
  const tags: Record<string, string> = {};
  for (const key of Object.keys(sample.tags).sort()) tags[key] = sample.tags[key] as string;
  return { ...sample, tags };
}

export async function benchLineProtocolEncoding(quick: boolean): Promise<BenchResult> {
  const samples = realisticSamples(SAMPLES, { seed: 1 });
  const inputs = samples.map((sample) => ({ sample, time: String(sample.timestampNs) }));

  // Same data in, same lines out (up to tag order), or the comparison means nothing.
  const ours = encodeLineProtocol(samples.map(withSortedTags));
  const theirs = encodeViaPoints(inputs);
  if (ours !== theirs) throw new Error('encoding benchmark: our lines differ from Point lines');
  const bytes = Buffer.byteLength(encodeLineProtocol(samples));

  const timing = await timePair(
    'line-protocol encoding',
    { fn: () => encodeLineProtocol(samples), opsPerCall: SAMPLES },
    { fn: () => encodeViaPoints(inputs), opsPerCall: SAMPLES },
    { timeMs: quick ? 300 : 1_500, rounds: quick ? 1 : 3 },
  );
  const mbPerS = (nsPerOp: number) => bytes / SAMPLES / nsPerOp / 1e6 / 1e-9;
  return result({
    id: 1,
    title: `line-protocol encoding, ${SAMPLES.toLocaleString('en-US')} realistic samples (${(bytes / 2 ** 20).toFixed(1)} MiB)`,
    figures: [
      { label: 'ours: encodeLineProtocol', value: timing.subjectNsPerOp, unit: 'ns/line' },
      { label: 'ours: throughput', value: mbPerS(timing.subjectNsPerOp), unit: 'MB/s' },
      {
        label: 'anchor: influxdb-client new Point() … toLineProtocol()',
        value: timing.anchorNsPerOp,
        unit: 'ns/line',
      },
      { label: 'anchor: throughput', value: mbPerS(timing.anchorNsPerOp), unit: 'MB/s' },
    ],
    ratio: timing.anchorNsPerOp / timing.subjectNsPerOp,
    ratioMeaning: 'Point time / our time: how many times faster we are',
    target: { comparison: '>=', value: 5 },
    notes: [
      'the Point side gets its ns timestamp strings precomputed; ours converts bigint per line',
      `median of ${timing.rounds} alternating rounds; last-round ±${timing.subjectRme.toFixed(1)} % / ±${timing.anchorRme.toFixed(1)} %`,
    ],
  });
}

// What to do when a database limit refused part of a batch. The answer alone cannot say which
// lines were stored: InfluxDB 1.6 reports `dropped=N` yet also loses some of the other points of
// the batch (its index reorders the series keys the shard then filters by). So the batch is
// written again without the refused lines until the database takes all that is left: then
// exactly those lines are stored. Writing a line twice is harmless (a point is its series and
// timestamp).
// The refused lines are found by the tag value a `max-values-per-tag` refusal names; when a
// refusal names none (`max-series-per-database`) or its value is in no line, by halving: each half
// is written on its own, a half taken whole is stored, a half refused whole is refused, and any
// other is halved again. After `MAX_REWRITES` writes, nothing is counted as stored, so the client
// keeps and resends it all.
import { parseLine } from '../../protocol/line-protocol/parse.js';
import { type LimitRefusal, type NamedTagValue, parseLimitRefusal } from './influx-limit-error.js';
import type { LineBatch, RefusedLines } from './sink.js';

/** Writes after the first answer; each costs one more write of (part of) the batch. */
export const MAX_REWRITES = 16;

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: string;
}

/** Writes a batch once: the database's answer, or a rejection for a transport failure. */
export type WriteOnce = (batch: LineBatch) => Promise<UpstreamAnswer>;

/** `accept` is given every answer that is not a limit refusal and throws unless it is a success. */
interface Writer {
  readonly writeOnce: WriteOnce;
  readonly accept: (answer: UpstreamAnswer) => void;
  /** Rewrites left. */
  left: number;
}

/** Stops the search once the rewrites are spent. */
const SPENT = Symbol('spent');

/**
 * Stores what the database accepts of `batch`, whose first write got `first`. `accept` is given
 * every answer that is not a limit refusal and throws unless it is a success.
 */
export async function storeAroundLimits(
  batch: LineBatch,
  first: LimitRefusal,
  writeOnce: WriteOnce,
  accept: (answer: UpstreamAnswer) => void,
): Promise<RefusedLines> {
  const all = batch.lines;
  const result = (stored: number): RefusedLines => ({
    limit: first.limit,
    stored,
    refused: all - stored,
    message: first.message,
  });
  if (first.dropped >= all) return result(0);
  const writer: Writer = { writeOnce, accept, left: MAX_REWRITES };
  const stored = await withoutNamed(batchLines(batch), first, writer);
  return result(stored === SPENT ? 0 : stored);
}

/** Takes out the lines of each value a refusal names; halves once a refusal names none. */
async function withoutNamed(
  start: readonly string[],
  first: LimitRefusal,
  writer: Writer,
): Promise<number | typeof SPENT> {
  let lines = start;
  let refusal = first;
  while (true) {
    const named = refusal.named;
    const kept = named === undefined ? lines : lines.filter((line) => !carries(line, named));
    if (kept.length === 0) return 0;
    if (kept.length === lines.length) return halves(lines, writer);
    if (writer.left === 0) return SPENT;
    writer.left--;
    lines = kept;
    const answer = await writer.writeOnce(toBatch(lines));
    const next = parseLimitRefusal(answer.status, answer.body);
    if (next === undefined) {
      writer.accept(answer);
      return lines.length;
    }
    if (next.dropped >= lines.length) return 0;
    refusal = next;
  }
}

/** Lines refused as a whole set, found by writing each half on its own. */
async function halves(lines: readonly string[], writer: Writer): Promise<number | typeof SPENT> {
  if (lines.length <= 1) return 0;
  const middle = Math.ceil(lines.length / 2);
  const head = await part(lines.slice(0, middle), writer);
  if (head === SPENT) return SPENT;
  const tail = await part(lines.slice(middle), writer);
  return tail === SPENT ? SPENT : head + tail;
}

async function part(lines: readonly string[], writer: Writer): Promise<number | typeof SPENT> {
  if (writer.left === 0) return SPENT;
  writer.left--;
  const answer = await writer.writeOnce(toBatch(lines));
  const refusal = parseLimitRefusal(answer.status, answer.body);
  if (refusal === undefined) {
    writer.accept(answer);
    return lines.length;
  }
  if (refusal.dropped >= lines.length) return 0;
  return withoutNamed(lines, refusal, writer);
}

/** The batch's lines without their newlines. */
function batchLines(batch: LineBatch): string[] {
  const text = Buffer.concat(batch.pieces as Buffer[]).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function toBatch(lines: readonly string[]): LineBatch {
  const piece = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  return { pieces: [piece], byteLength: piece.length, lines: lines.length };
}

/** Whether the line is a point of the named measurement with the named tag value. */
function carries(line: string, named: NamedTagValue): boolean {
  // Cheap test first: most lines of a batch do not hold the value at all.
  if (!line.includes(named.tag)) return false;
  try {
    const sample = parseLine(line);
    return sample.measurement === named.measurement && sample.tags[named.tag] === named.value;
  } catch {
    return false;
  }
}

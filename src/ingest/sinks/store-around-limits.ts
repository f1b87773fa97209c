// What to do when a database limit refused part of a batch. The answer alone cannot say which
// lines were stored: InfluxDB 1.6 reports `dropped=N` yet also loses some of the other points of
// the batch (its index reorders the series keys the shard then filters by). So the lines that
// carry the refused tag value are taken out and the rest is written again, until the database
// takes all that is left: then exactly those lines are stored, and the ones taken out are the
// refused. Writing a line twice is harmless (a point is its series and timestamp).
// When the refused lines cannot be named (`max-series-per-database` says no value), or after
// `MAX_ROUNDS` rewrites, nothing is counted as stored, so the client keeps and resends it all.
import { parseLine } from '../../protocol/line-protocol/parse.js';
import { type LimitRefusal, type NamedTagValue, parseLimitRefusal } from './influx-limit-error.js';
import type { LineBatch, RefusedLines } from './sink.js';

/** Rewrites after the first answer; each costs one more write of the remaining lines. */
export const MAX_ROUNDS = 8;

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: string;
}

/** Writes a batch once: the database's answer, or a rejection for a transport failure. */
export type WriteOnce = (batch: LineBatch) => Promise<UpstreamAnswer>;

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
  const nothingStored = (refusal: LimitRefusal): RefusedLines => ({
    limit: refusal.limit,
    stored: 0,
    refused: all,
    message: refusal.message,
  });
  if (first.dropped >= all) return nothingStored(first);
  let lines = batchLines(batch);
  let refusal = first;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const named = refusal.named;
    if (named === undefined) return nothingStored(refusal);
    const kept = lines.filter((line) => !carries(line, named));
    if (kept.length === lines.length || kept.length === 0) return nothingStored(refusal);
    lines = kept;
    const answer = await writeOnce(toBatch(lines));
    const next = parseLimitRefusal(answer.status, answer.body);
    if (next === undefined) {
      accept(answer);
      return {
        limit: first.limit,
        stored: lines.length,
        refused: all - lines.length,
        message: first.message,
      };
    }
    refusal = next;
  }
  return nothingStored(refusal);
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

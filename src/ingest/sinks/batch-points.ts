// What the embedded store appends for a batch: each line is a point (series + timestamp); a
// point already stored is left out, and a line without a timestamp gets one of its own.
import { RecentPoints } from './recent-points.js';
import type { LineBatch } from './sink.js';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const HASH = 0x23;

/** The lines to append, and the points they add (`series`, `stamp` pairs, flattened). */
export interface BatchPoints {
  readonly buffers: Buffer[];
  readonly bytes: number;
  readonly points: string[];
  /** Lines left out because their point was already stored (or came earlier in the batch). */
  readonly duplicates: number;
}

/**
 * Splits `batch` into points. `seen(series, stamp)` says whether a point is already stored;
 * `nextStamp()` gives a nanosecond time for a line that has none. A timestamp the store gives is
 * new by construction, so such a line is never taken for a duplicate.
 */
export function batchPoints(
  batch: LineBatch,
  seen: (series: string, stamp: string) => boolean,
  nextStamp: () => bigint,
): BatchPoints {
  const b = batch.pieces.length === 1 ? batch.pieces[0]! : Buffer.concat(batch.pieces);
  const buffers: Buffer[] = [];
  const points: string[] = [];
  const inBatch = new RecentPoints(Number.POSITIVE_INFINITY);
  let bytes = 0;
  let duplicates = 0;
  let runStart = 0;
  let pos = 0;
  const keep = (piece: Buffer) => {
    buffers.push(piece);
    bytes += piece.length;
  };
  while (pos < b.length) {
    let nl = b.indexOf(NEWLINE, pos);
    if (nl < 0) nl = b.length;
    const point = pointOf(b, pos, nl);
    if (point !== undefined) {
      const series = point.series;
      let stamp = point.stamp;
      const stamped = stamp === undefined;
      stamp ??= String(nextStamp());
      if (!stamped && (seen(series, stamp) || inBatch.has(series, stamp))) {
        if (pos > runStart) keep(b.subarray(runStart, pos));
        runStart = nl + 1;
        duplicates++;
      } else {
        if (stamped) {
          if (pos > runStart) keep(b.subarray(runStart, pos));
          keep(b.subarray(pos, nl));
          keep(Buffer.from(` ${stamp}\n`));
          runStart = nl + 1;
        }
        inBatch.add(series, stamp);
        points.push(series, stamp);
      }
    }
    pos = nl + 1;
  }
  if (runStart < b.length) {
    const rest = b.subarray(runStart);
    // A batch's last line always ends in a newline; one that does not is given it.
    keep(rest);
    if (rest[rest.length - 1] !== NEWLINE) keep(Buffer.from('\n'));
  }
  return { buffers, bytes, points, duplicates };
}

/**
 * The series and timestamp of the line b[a, z), or undefined for an empty or comment line. The
 * series ends at the first space no backslash escapes; fields are numbers, so the next space
 * starts the timestamp.
 */
export function pointOf(
  b: Buffer,
  a: number,
  z: number,
): { series: string; stamp: string | undefined } | undefined {
  if (a >= z || b[a] === HASH) return undefined;
  let s = b.indexOf(SPACE, a);
  while (s > a && s < z && b[s - 1] === BACKSLASH) s = b.indexOf(SPACE, s + 1);
  if (s < 0 || s >= z) return undefined;
  const series = b.toString('latin1', a, s);
  const t = b.indexOf(SPACE, s + 1);
  if (t < 0 || t >= z) return { series, stamp: undefined };
  return { series, stamp: canonicalStamp(b.toString('latin1', t + 1, z)) };
}

/** `0017` and `17` are the same time to a database. */
function canonicalStamp(text: string): string {
  const lead = text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (text.length > lead + 1 && text.charCodeAt(lead) === 0x30) {
    try {
      return BigInt(text).toString();
    } catch {
      return text;
    }
  }
  return text;
}

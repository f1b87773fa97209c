import type { Sample } from '../schema.js';

/**
 * Reads one line of line protocol back into a {@link Sample}: the reading side of the embedded
 * store (for dashboards and demos). Lines are expected to have passed the ingest's validation:
 * numeric fields only, escapes `\,` `\ ` `\=` in tag values. Throws on anything else.
 */

export class LineParseError extends Error {
  override name = 'LineParseError';
}

const SPACE = 0x20;
const COMMA = 0x2c;
const EQ = 0x3d;
const BACKSLASH = 0x5c;

export function parseLine(line: string): Sample {
  let i = 0;
  const n = line.length;
  // Measurement, up to the first unescaped `,` or space.
  let measurement = '';
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === COMMA || c === SPACE) break;
    if (c === BACKSLASH && i + 1 < n) {
      measurement += line[i + 1];
      i += 2;
    } else {
      measurement += line[i];
      i++;
    }
  }
  if (i >= n || measurement === '') throw new LineParseError(`not line protocol: ${line}`);
  const tags: Record<string, string> = {};
  while (line.charCodeAt(i) === COMMA) {
    i++;
    const key = readToken(line, i, EQ);
    i = key.end + 1;
    const value = readToken(line, i, COMMA, SPACE);
    i = value.end;
    if (key.text === '') throw new LineParseError(`empty tag key: ${line}`);
    tags[key.text] = value.text;
  }
  if (line.charCodeAt(i) !== SPACE) throw new LineParseError(`no fields: ${line}`);
  i++;
  const fields: Record<string, number> = {};
  while (true) {
    const key = readToken(line, i, EQ);
    i = key.end + 1;
    let end = i;
    while (end < n && line.charCodeAt(end) !== COMMA && line.charCodeAt(end) !== SPACE) end++;
    const text = line.slice(i, end);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) {
      throw new LineParseError(`field ${key.text} is not a number: ${line}`);
    }
    fields[key.text] = value;
    i = end;
    if (line.charCodeAt(i) !== COMMA) break;
    i++;
  }
  if (i >= n) return { measurement, tags, fields };
  const stamp = line.slice(i + 1);
  if (!/^-?\d+$/.test(stamp)) throw new LineParseError(`bad timestamp: ${line}`);
  return { measurement, tags, fields, timestampNs: BigInt(stamp) };
}

/** Text up to the first unescaped `stop` (or `alsoStop`), with escapes removed. */
function readToken(
  line: string,
  from: number,
  stop: number,
  alsoStop = -1,
): { text: string; end: number } {
  let text = '';
  let i = from;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === stop || c === alsoStop) return { text, end: i };
    if (c === BACKSLASH && i + 1 < line.length) {
      const next = line.charCodeAt(i + 1);
      if (next === COMMA || next === SPACE || next === EQ) {
        text += line[i + 1];
        i += 2;
        continue;
      }
    }
    text += line[i];
    i++;
  }
  if (stop === EQ) throw new LineParseError(`missing "=": ${line}`);
  return { text, end: i };
}

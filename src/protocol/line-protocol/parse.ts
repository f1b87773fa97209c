// Reading line protocol back: the reading side of the embedded store (for dashboards and demos).
import type { Sample } from '../schema.js';
import { BACKSLASH, COMMA, EQUALS, isDigit, isEscapableInKey, MINUS, SPACE } from './chars.js';

export class LineParseError extends Error {
  override name = 'LineParseError';
}

/**
 * Reads one line into a {@link Sample}. Lines are expected to have passed the ingest's
 * validation: numeric fields only, escapes `\,` `\ ` `\=` in tag values. Throws on anything else.
 */
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
    const key = readToken(line, i, EQUALS);
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
    const key = readToken(line, i, EQUALS);
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
  if (!isTimestamp(line, i + 1)) throw new LineParseError(`bad timestamp: ${line}`);
  return { measurement, tags, fields, timestampNs: BigInt(line.slice(i + 1)) };
}

/**
 * The timestamp of a line, read from the text after its last space, without parsing the rest
 * (to skip lines out of a time range cheaply). That text is an integer only for a line with a
 * timestamp: without one it is (the end of) a field, which has a `=`.
 */
export function trailingTimestamp(line: string): bigint | undefined {
  const from = line.lastIndexOf(' ') + 1;
  return isTimestamp(line, from) ? BigInt(line.slice(from)) : undefined;
}

/** Whether `line` from `from` to its end is a decimal integer (an optional `-`, then digits). */
function isTimestamp(line: string, from: number): boolean {
  let i = line.charCodeAt(from) === MINUS ? from + 1 : from;
  if (i >= line.length) return false;
  for (; i < line.length; i++) if (!isDigit(line.charCodeAt(i))) return false;
  return true;
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
      if (isEscapableInKey(line.charCodeAt(i + 1))) {
        text += line[i + 1];
        i += 2;
        continue;
      }
    }
    text += line[i];
    i++;
  }
  if (stop === EQUALS) throw new LineParseError(`missing "=": ${line}`);
  return { text, end: i };
}

// Refusals more than one step of the line check gives, with the client's text quoted safely.
import { BACKSLASH, COMMA, EQUALS, SPACE } from '../../protocol/line-protocol/chars.js';
import type { FAILED, LineScan } from './line-scan.js';

/** Client text in a message is cut to this many characters. */
const QUOTE_LIMIT = 64;

export function noFields(s: LineScan): typeof FAILED {
  return s.fail('invalid line protocol', 'invalid line protocol: no fields');
}

/**
 * A tag or field key not in the schema: `unknown` when it is a well-formed `key=`, else the
 * text is not a key at all (`invalid`).
 */
export function badKey(s: LineScan, start: number, what: 'tag' | 'field'): typeof FAILED {
  const { b, end } = s;
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c === EQUALS || c === COMMA || c === SPACE) break;
    i += c === BACKSLASH ? 2 : 1;
  }
  const stop = Math.min(i, end);
  if (i >= end || b[i] !== EQUALS) {
    return s.fail(`invalid ${what}`, `invalid ${what}: ${quote(b, start, stop)}`);
  }
  const key = clip(b, start, stop);
  if (what === 'field') return s.violation({ kind: 'unknown field', field: key });
  return s.violation({ kind: 'unknown tag', tag: key });
}

/** Client text for a message, bounded. */
export function clip(b: Buffer, start: number, end: number): string {
  const text = b.toString('utf8', start, Math.min(end, start + QUOTE_LIMIT * 4));
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

export function quote(b: Buffer, start: number, end: number): string {
  return JSON.stringify(clip(b, start, end));
}

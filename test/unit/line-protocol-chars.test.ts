import { describe, expect, it } from 'vitest';
import {
  ENCODE_COPY,
  ENCODE_ESCAPE,
  ENCODE_REPLACE,
  isBlank,
  isControl,
  isDigit,
  isEscapableInKey,
  isEscapableInMeasurement,
  KEY_ENCODING,
  MEASUREMENT_ENCODING,
  NETBIRD_TAG_VALUE_ENCODING,
  READ_ENDS_VALUE,
  READ_ESCAPE,
  READ_FORBIDDEN,
  READ_NON_ASCII,
  READ_ORDINARY,
  STANDARD_TAG_VALUE_ENCODING,
  TAG_VALUE_BYTES,
} from '../../src/protocol/line-protocol/chars.js';

// The same classes written as regular expressions over one character, to compare every code with.
const CONTROL = /[\u0000-\u001f\u007f]/;
const chars = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => String.fromCharCode(from + i));

function expectedEncoding(escaped: RegExp, replaced: RegExp): number[] {
  return chars(0, 128).map((ch) =>
    CONTROL.test(ch) || ch === '\\' || replaced.test(ch)
      ? ENCODE_REPLACE
      : escaped.test(ch)
        ? ENCODE_ESCAPE
        : ENCODE_COPY,
  );
}

describe('line-protocol byte classes', () => {
  it('classifies digits, control characters and blanks', () => {
    for (const ch of chars(0, 256)) {
      const c = ch.charCodeAt(0);
      expect(isDigit(c), ch).toBe(/[0-9]/.test(ch));
      expect(isControl(c), ch).toBe(CONTROL.test(ch));
      expect(isBlank(c), ch).toBe(/[ \t\r\v\f]/.test(ch));
      expect(isEscapableInKey(c), ch).toBe(/[ ,=]/.test(ch));
      expect(isEscapableInMeasurement(c), ch).toBe(/[ ,]/.test(ch));
    }
  });

  it('escapes and replaces per part of a line', () => {
    const never = /(?!)/;
    expect([...MEASUREMENT_ENCODING]).toEqual(expectedEncoding(/[ ,]/, never));
    expect([...KEY_ENCODING]).toEqual(expectedEncoding(/[ ,=]/, never));
    expect([...STANDARD_TAG_VALUE_ENCODING]).toEqual(expectedEncoding(/[ ,=]/, never));
    // NetBird's Go ingest splits on raw spaces and commas, so those cannot be escaped there.
    expect([...NETBIRD_TAG_VALUE_ENCODING]).toEqual(expectedEncoding(/=/, /[ ,]/));
  });

  it('reads tag-value bytes', () => {
    const expected = chars(0, 256).map((ch) => {
      const c = ch.charCodeAt(0);
      if (c >= 0x80) return READ_NON_ASCII;
      if (ch === ',' || ch === ' ') return READ_ENDS_VALUE;
      if (ch === '\\') return READ_ESCAPE;
      if (ch === '=' || CONTROL.test(ch)) return READ_FORBIDDEN;
      return READ_ORDINARY;
    });
    expect([...TAG_VALUE_BYTES]).toEqual(expected);
  });
});

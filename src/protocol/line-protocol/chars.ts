// What each byte means in InfluxDB line protocol, written once for the encoder, the parser and
// the ingest's validator: the separators, the bytes a backslash may escape in each part of a
// line, and the bytes the encoder replaces by `_` because no reader carries them the same way.
// Pure tables and predicates over byte codes (UTF-16 code units below 0x80 are the same codes).

/** Byte codes of the characters line protocol gives a meaning to, and a few that number text uses. */
export const TAB = 0x09;
export const NEWLINE = 0x0a;
export const VERTICAL_TAB = 0x0b;
export const FORM_FEED = 0x0c;
export const CARRIAGE_RETURN = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const HASH = 0x23;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const EQUALS = 0x3d;
export const UPPER_E = 0x45;
export const BACKSLASH = 0x5c;
export const UNDERSCORE = 0x5f;
export const LOWER_E = 0x65;
export const DELETE = 0x7f;

/** `0`–`9`. */
export function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/**
 * C0 control characters and DEL. No part of a line may hold one: a newline ends the line, and
 * the others are read differently (or refused) by InfluxDB 1.x, 2.x and 3.x.
 */
export function isControl(c: number): boolean {
  return c < SPACE || c === DELETE;
}

/**
 * Whitespace trimmed around a line (Go's `strings.TrimSpace`, which NetBird's ingest applies, for
 * ASCII). Not the newline, which separates lines before they are trimmed.
 */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CARRIAGE_RETURN || c === VERTICAL_TAB || c === FORM_FEED;
}

/**
 * Bytes a backslash escapes in a tag key, tag value or field key: each would otherwise end the
 * text (`,` and space end a tag or the tag set, `=` ends a key).
 */
export function isEscapableInKey(c: number): boolean {
  return c === COMMA || c === SPACE || c === EQUALS;
}

/** Bytes a backslash escapes in a measurement name, where `=` is an ordinary character. */
export function isEscapableInMeasurement(c: number): boolean {
  return c === COMMA || c === SPACE;
}

// What the encoder does with each ASCII code, one table per part of a line. Codes from 0x80 are
// UTF-8 and copied (a lone UTF-16 surrogate, which has no UTF-8 form, is replaced).
export const ENCODE_COPY = 0;
export const ENCODE_ESCAPE = 1;
export const ENCODE_REPLACE = 2;
export type EncodeAction = typeof ENCODE_COPY | typeof ENCODE_ESCAPE | typeof ENCODE_REPLACE;

/**
 * A 128-entry table: `escaped` bytes get a backslash, `replaced` ones become `_`. Control
 * characters and the backslash are always replaced: 1.x and 2.x read `\\` differently, and a
 * trailing `\` would escape the delimiter after it, so neither can be carried portably.
 */
function encodeTable(escaped: readonly number[], replaced: readonly number[]): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) if (isControl(c)) table[c] = ENCODE_REPLACE;
  table[BACKSLASH] = ENCODE_REPLACE;
  for (const c of escaped) table[c] = ENCODE_ESCAPE;
  for (const c of replaced) table[c] = ENCODE_REPLACE;
  return table;
}

/** Measurement names: `,` and space escaped. */
export const MEASUREMENT_ENCODING: Uint8Array = encodeTable([COMMA, SPACE], []);
/** Tag keys and field keys: `,`, space and `=` escaped. */
export const KEY_ENCODING: Uint8Array = encodeTable([COMMA, SPACE, EQUALS], []);
/** Tag values for any InfluxDB: escaped like keys. */
export const STANDARD_TAG_VALUE_ENCODING: Uint8Array = KEY_ENCODING;
/**
 * Tag values bound for NetBird's Go ingest, which splits a line on raw spaces and commas and
 * ignores escapes: an escaped space or comma would cut the value in two and the line would be
 * refused, so both are replaced by `_`. `=` stays escaped (that ingest splits a tag on its first
 * `=` only, and InfluxDB needs the escape).
 */
export const NETBIRD_TAG_VALUE_ENCODING: Uint8Array = encodeTable([EQUALS], [COMMA, SPACE]);

// What a byte means while a tag value is read, for all 256 byte values.
export const READ_ORDINARY = 0;
/** `,` (next tag) or space (fields follow). */
export const READ_ENDS_VALUE = 1;
/** A backslash: valid only before a byte {@link isEscapableInKey} accepts. */
export const READ_ESCAPE = 2;
/** Unescaped `=` (ambiguous to readers) and control characters. */
export const READ_FORBIDDEN = 3;
/** A byte of a UTF-8 sequence, which must then be checked as a whole. */
export const READ_NON_ASCII = 4;
export type TagValueByte =
  | typeof READ_ORDINARY
  | typeof READ_ENDS_VALUE
  | typeof READ_ESCAPE
  | typeof READ_FORBIDDEN
  | typeof READ_NON_ASCII;

/** A 256-entry table of {@link TagValueByte} by byte. */
export const TAG_VALUE_BYTES: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    if (c >= 0x80) table[c] = READ_NON_ASCII;
    else if (isControl(c) || c === EQUALS) table[c] = READ_FORBIDDEN;
  }
  table[COMMA] = READ_ENDS_VALUE;
  table[SPACE] = READ_ENDS_VALUE;
  table[BACKSLASH] = READ_ESCAPE;
  return table;
})();

// The byte-level half of the line-protocol encoder (encode.ts): a growing buffer that names,
// escaped text, numbers and timestamps are written into as UTF-8, with no intermediate strings.
// Building a body by string concatenation leaves V8 a rope of ~20 pieces per line that the
// garbage collector copies until the end (measured: two thirds of the time).
import {
  BACKSLASH,
  COMMA,
  DIGIT_0,
  DOT,
  ENCODE_COPY,
  ENCODE_ESCAPE,
  EQUALS,
  KEY_ENCODING,
  MEASUREMENT_ENCODING,
  MINUS,
  NETBIRD_TAG_VALUE_ENCODING,
  STANDARD_TAG_VALUE_ENCODING,
  UNDERSCORE,
} from './chars.js';

// Decimal digits of a 64-bit timestamp without BigInt arithmetic or String(bigint) (measured:
// ~60 against ~80 ns with the copy): the value is read back as two 32-bit halves.
const int64 = new BigInt64Array(1);
const halves = new Uint32Array(int64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Escaped names (and `,key=value` pairs) by their text, so that what repeats is escaped once.
 * Names come from a small set (the schema's keys and measurements); each tag key also keeps
 * its values until it has seen `VALUES_PER_KEY` of them: enumerations, versions and platforms
 * stay cached, and a key like `peer_id` stops caching as soon as it shows many values. All
 * bounded: a map that fills up is emptied, long texts are never cached.
 */
interface Escaped {
  readonly bytes: Uint8Array;
  readonly replaced: number;
  readonly nonAscii: boolean;
}
interface TagKey extends Escaped {
  /** `,key=value` by value; undefined once the key has shown too many distinct values. */
  values: Map<string, Escaped> | undefined;
}
const CACHE_MAX_ENTRIES = 1024;
const VALUES_PER_KEY = 32;
/** Values cached over all tag keys of one style; past it that style's cache starts again. */
const MAX_CACHED_VALUES = 2048;
/** Longer texts are escaped every time, so the caches' memory stays small. */
const CACHE_MAX_CHARS = 64;
const FIELD_KEY_CACHE = new Map<string, Escaped>();
const MEASUREMENT_CACHE = new Map<string, Escaped>();

/**
 * How tag values are written (which bytes are escaped, which replaced), with the cache of
 * `,key=value` pairs written that way: the same value reads differently in each style.
 */
export class TagValueStyle {
  readonly keys = new Map<string, TagKey>();
  cachedValues = 0;
  constructor(readonly chars: Uint8Array) {}
}

/**
 * For NetBird's Go ingest, which splits lines on raw spaces and commas whatever escapes them:
 * spaces and commas in tag values become `_`.
 */
export const NETBIRD_TAG_VALUES = new TagValueStyle(NETBIRD_TAG_VALUE_ENCODING);
/** For any InfluxDB: spaces and commas in tag values are backslash-escaped. */
export const STANDARD_TAG_VALUES = new TagValueStyle(STANDARD_TAG_VALUE_ENCODING);

function remember<T>(cache: Map<string, T>, text: string, entry: T): void {
  if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
  cache.set(text, entry);
}

/** "0000" to "9999", four ASCII digits each: numbers are written four digits per lookup. */
const DIGIT_GROUPS = new Uint8Array(40_000);
for (let i = 0; i < 10_000; i++) {
  DIGIT_GROUPS[i * 4] = DIGIT_0 + Math.floor(i / 1000);
  DIGIT_GROUPS[i * 4 + 1] = DIGIT_0 + (Math.floor(i / 100) % 10);
  DIGIT_GROUPS[i * 4 + 2] = DIGIT_0 + (Math.floor(i / 10) % 10);
  DIGIT_GROUPS[i * 4 + 3] = DIGIT_0 + (i % 10);
}

/** Largest magnitude the decimal fast path of `number` handles exactly (see there). */
const FAST_NUMBER_MAX = 4_000_000;
const FAST_NUMBER_MIN = 1e-6;

/**
 * Line-protocol text as UTF-8 bytes. Names and keys are escaped by the tables in chars.ts;
 * characters no reader carries the same way (backslashes, control characters, lone surrogates,
 * and what a tag-value style replaces) become `_` and are counted in `replaced`. Not
 * re-entrant: one buffer per caller.
 */
export class LineBuffer {
  bytes: Buffer;
  length = 0;
  /** Any byte ≥ 0x80 written (the text is then UTF-8, not ASCII). */
  nonAscii = false;
  /** Characters replaced by `_` since the last reset. */
  replaced = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  reset(): void {
    this.length = 0;
    this.nonAscii = false;
    this.replaced = 0;
  }

  /** Makes room for `extra` more bytes (doubling, so appends stay amortised O(1)). */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  /** One ASCII byte; the caller has reserved room. */
  byte(code: number): void {
    this.bytes[this.length++] = code;
  }

  /** `,key=value` for a tag, the value written in `style` (from its cache when seen before). */
  tag(key: string, value: string, style: TagValueStyle): void {
    const cache = style.keys;
    const chars = style.chars;
    let entry = cache.get(key);
    if (entry !== undefined) {
      const hit = entry.values?.get(value);
      if (hit !== undefined) {
        this.cached(hit);
        return;
      }
      this.cached(entry);
    } else {
      const start = this.length;
      const replaced = this.replaced;
      this.delimited(COMMA, key, KEY_ENCODING, EQUALS);
      if (key.length <= CACHE_MAX_CHARS) {
        entry = { ...this.since(start, replaced), values: new Map() };
        remember(cache, key, entry);
      }
    }
    const values = entry?.values;
    if (entry === undefined || values === undefined || value.length > CACHE_MAX_CHARS) {
      this.text(value, chars);
      return;
    }
    if (values.size >= VALUES_PER_KEY) {
      // Many distinct values (an id): stop caching this key's values.
      entry.values = undefined;
      this.text(value, chars);
      return;
    }
    const start = this.length - entry.bytes.length;
    const replaced = this.replaced - entry.replaced;
    this.text(value, chars);
    if (++style.cachedValues > MAX_CACHED_VALUES) {
      cache.clear();
      style.cachedValues = 0;
    }
    values.set(value, this.since(start, replaced));
  }

  /** `key=` for a field, after its separator (space or comma). */
  fieldKey(separator: number, key: string): void {
    this.reserve(1);
    this.bytes[this.length++] = separator;
    const hit = FIELD_KEY_CACHE.get(key);
    if (hit !== undefined) {
      this.cached(hit);
      return;
    }
    const start = this.length;
    const replaced = this.replaced;
    this.delimited(-1, key, KEY_ENCODING, EQUALS);
    if (key.length <= CACHE_MAX_CHARS) remember(FIELD_KEY_CACHE, key, this.since(start, replaced));
  }

  /** A measurement name, escaped (from the cache when seen before). */
  measurement(name: string): void {
    const hit = MEASUREMENT_CACHE.get(name);
    if (hit !== undefined) {
      this.cached(hit);
      return;
    }
    const start = this.length;
    const replaced = this.replaced;
    this.text(name, MEASUREMENT_ENCODING);
    if (name.length <= CACHE_MAX_CHARS) {
      remember(MEASUREMENT_CACHE, name, this.since(start, replaced));
    }
  }

  private cached(hit: Escaped): void {
    const source = hit.bytes;
    this.reserve(source.length);
    this.bytes.set(source, this.length);
    this.length += source.length;
    this.replaced += hit.replaced;
    if (hit.nonAscii) this.nonAscii = true;
  }

  /** Escaped `text` between two delimiter bytes (-1: none). */
  private delimited(before: number, text: string, table: Uint8Array, after: number): void {
    this.reserve(1);
    if (before >= 0) this.bytes[this.length++] = before;
    this.text(text, table);
    this.reserve(1);
    if (after >= 0) this.bytes[this.length++] = after;
  }

  /** What was written since `start` (and replaced since the count was `replaced`), to cache. */
  private since(start: number, replaced: number): Escaped {
    const bytes = Uint8Array.prototype.slice.call(this.bytes, start, this.length);
    return { bytes, replaced: this.replaced - replaced, nonAscii: bytes.some((b) => b >= 0x80) };
  }

  private text(text: string, table: Uint8Array): void {
    const count = text.length;
    // Worst case 3 bytes per UTF-16 unit (escapes take 2, a surrogate pair 4 for 2 units).
    this.reserve(count * 3);
    const bytes = this.bytes;
    let n = this.length;
    for (let i = 0; i < count; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        const kind = table[c];
        if (kind === ENCODE_COPY) {
          bytes[n++] = c;
        } else if (kind === ENCODE_ESCAPE) {
          bytes[n++] = BACKSLASH;
          bytes[n++] = c;
        } else {
          bytes[n++] = UNDERSCORE;
          this.replaced++;
        }
        continue;
      }
      if (c < 0x800) {
        bytes[n++] = 0xc0 | (c >> 6);
        bytes[n++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        bytes[n++] = 0xe0 | (c >> 12);
        bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[n++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < count ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          bytes[n++] = 0xf0 | (cp >> 18);
          bytes[n++] = 0x80 | ((cp >> 12) & 0x3f);
          bytes[n++] = 0x80 | ((cp >> 6) & 0x3f);
          bytes[n++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          // A lone surrogate has no UTF-8 form.
          bytes[n++] = UNDERSCORE;
          this.replaced++;
          continue;
        }
      }
      this.nonAscii = true;
    }
    this.length = n;
  }

  /** A non-negative integer below 10^16, in decimal; the caller has reserved 16 bytes. */
  unsigned(value: number): void {
    if (value < 10_000) {
      const digits = value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : 4;
      this.copyDigits(value, 4 - digits);
    } else if (value < 100_000_000) {
      const high = Math.floor(value / 10_000);
      this.unsigned(high);
      this.copyDigits(value - high * 10_000, 0);
    } else {
      const high = Math.floor(value / 100_000_000);
      this.unsigned(high);
      this.eightDigits(value - high * 100_000_000);
    }
  }

  /** `value` below 10^9, zero-padded to nine digits; the caller has reserved room. */
  nineDigits(value: number): void {
    const high = Math.floor(value / 100_000_000);
    this.bytes[this.length++] = DIGIT_0 + high;
    this.eightDigits(value - high * 100_000_000);
  }

  private eightDigits(value: number): void {
    const high = Math.floor(value / 10_000);
    this.copyDigits(high, 0);
    this.copyDigits(value - high * 10_000, 0);
  }

  /** Four-digit group `group` (below 10^4) from the table, skipping `skip` leading digits. */
  private copyDigits(group: number, skip: number): void {
    const bytes = this.bytes;
    let n = this.length;
    for (let i = group * 4 + skip, end = group * 4 + 4; i < end; i++) {
      bytes[n++] = DIGIT_GROUPS[i] as number;
    }
    this.length = n;
  }

  /**
   * A finite number as its shortest text that parses back to it (`-0` keeps its sign).
   * Durations with up to nine decimals (ms and ns resolution) take an exact integer path: if
   * k / 10^9 rounds to `value`, the decimal k·10^-9 parses back to it, and no shorter decimal
   * does — below 4·10^6 neighbouring multiples of 10^-9 are more than two float64 steps apart,
   * so each rounds to a different number. That is the text `String(value)` gives, which uses
   * plain notation from 10^-6 up. Anything else goes through `String`.
   */
  number(value: number): void {
    this.reserve(32);
    const magnitude = value < 0 ? -value : value;
    if (magnitude >= FAST_NUMBER_MIN && magnitude < FAST_NUMBER_MAX) {
      const scaled = Math.round(magnitude * 1e9);
      if (scaled / 1e9 === magnitude) {
        if (value < 0) this.byte(MINUS);
        const whole = Math.floor(magnitude);
        const fraction = scaled - whole * 1e9;
        this.unsigned(whole);
        if (fraction > 0) {
          this.byte(DOT);
          this.nineDigits(fraction);
          // Trailing zeros are not part of the shortest form.
          while (this.bytes[this.length - 1] === DIGIT_0) this.length--;
        }
        return;
      }
    }
    this.ascii(Object.is(value, -0) ? '-0' : String(value));
  }

  /** A timestamp in decimal (what `String(bigint)` gives). */
  timestamp(value: bigint): void {
    this.reserve(24);
    if (value < 0n || value > MAX_INT64) {
      this.ascii(String(value));
      return;
    }
    int64[0] = value;
    const lo = halves[LITTLE_ENDIAN ? 0 : 1] as number;
    const hi = halves[LITTLE_ENDIAN ? 1 : 0] as number;
    // value = hi·2^32 + lo. The float quotient is off by at most one, so the remainder is in
    // (-10^9, 2·10^9): exact as a 32-bit integer, computed modulo 2^32, then corrected.
    let q = Math.floor((hi * 4_294_967_296 + lo) / 1e9);
    let r = (lo - Math.imul(q, 1_000_000_000)) | 0;
    while (r < 0) {
      r += 1_000_000_000;
      q--;
    }
    while (r >= 1_000_000_000) {
      r -= 1_000_000_000;
      q++;
    }
    if (q === 0) {
      this.unsigned(r);
    } else {
      this.unsigned(q);
      this.nineDigits(r);
    }
  }

  /** An ASCII string as is (number text); the caller has reserved room. */
  ascii(text: string): void {
    this.reserve(text.length);
    const bytes = this.bytes;
    let n = this.length;
    for (let i = 0; i < text.length; i++) bytes[n++] = text.charCodeAt(i);
    this.length = n;
  }

  /** The text written so far (one flat string). */
  toString(): string {
    return this.bytes.toString(this.nonAscii ? 'utf8' : 'latin1', 0, this.length);
  }
}

import { parseGoBool, parseGoDuration } from './go-syntax.js';

/**
 * The kinds of value a setting can take: how text from a variable or flag becomes a value, and
 * what to say when it cannot. Pure. Go-syntax kinds take the text exactly as Go's `strconv` and
 * `time` packages do (no trimming), because NetBird's Go client defines those variables and the
 * same text must mean the same in both; every other kind ignores surrounding whitespace.
 */
export interface ValueKind<T> {
  /** What an acceptable value looks like, for messages, `--help` and the docs. */
  readonly expected: string;
  /** Never quote the whole text in a message (it may hold credentials, e.g. OTLP headers). */
  readonly secret?: boolean;
  /** The value, or undefined (or a {@link Refusal} saying why) when the text is not one. */
  parse(text: string): T | Refusal | undefined;
}

/** Why a text was refused, when that says more than the kind's `expected`. */
export class Refusal {
  constructor(readonly reason: string) {}
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseKind<T>(kind: ValueKind<T>, text: string): Parsed<T> {
  const value = kind.parse(text);
  if (value instanceof Refusal) return { ok: false, reason: value.reason };
  if (value === undefined) return { ok: false, reason: `expected ${kind.expected}` };
  return { ok: true, value };
}

/** Any text (trimmed). */
export const text: ValueKind<string> = { expected: 'any text', parse: (t) => t.trim() };

/** Go's `strconv.ParseBool`. */
export const goBool: ValueKind<boolean> = {
  expected: '1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False',
  parse: parseGoBool,
};

/** Go's `time.ParseDuration`, above zero; the value is in milliseconds. */
export const goDuration: ValueKind<number> = {
  expected: 'a positive Go duration such as 30s, 5m or 1h30m',
  parse: (t) => {
    const ms = parseGoDuration(t);
    return ms !== undefined && ms > 0 ? ms : undefined;
  },
};

/** The OpenTelemetry specification's boolean: `true` or `false`, in any case. */
export const otelBool: ValueKind<boolean> = {
  expected: 'true or false',
  parse: (t) => {
    const lower = t.trim().toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  },
};

/** Decimal digits only (no sign, fraction or exponent), from `min` to `max`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER, expected?: string) {
  const kind: ValueKind<number> = {
    expected: expected ?? `a whole number >= ${min}`,
    parse: (t) => {
      const trimmed = t.trim();
      const n = Number(trimmed);
      return /^\d+$/.test(trimmed) && Number.isSafeInteger(n) && n >= min && n <= max
        ? n
        : undefined;
    },
  };
  return kind;
}

export const port = wholeNumber(1, 65_535, 'a port number from 1 to 65535');

/** Whether `text` is an absolute http or https URL with a host. */
export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/** An absolute http or https URL; with `allowEmpty`, also the empty text (meaning "none"). */
export function httpUrl(options: { allowEmpty?: boolean } = {}): ValueKind<string> {
  return {
    expected: 'an absolute http or https URL',
    parse: (t) => {
      const trimmed = t.trim();
      if (trimmed === '' && options.allowEmpty) return '';
      return isHttpUrl(trimmed) ? trimmed : undefined;
    },
  };
}

/** One of `values`; with `ignoreCase` (as the OpenTelemetry specification has for its enums). */
export function oneOf<const T extends string>(
  values: readonly T[],
  options: { ignoreCase?: boolean; expected?: string } = {},
): ValueKind<T> {
  return {
    expected: options.expected ?? `one of ${values.join(', ')}`,
    parse: (t) => {
      const trimmed = options.ignoreCase ? t.trim().toLowerCase() : t.trim();
      return values.find((v) => (options.ignoreCase ? v.toLowerCase() : v) === trimmed);
    },
  };
}

/**
 * `key=value,key2=value2`, each side percent-decoded (W3C Baggage style, as the OpenTelemetry
 * specification has for headers and resource attributes). A refusal quotes only the bad entry.
 */
export const keyValueList: ValueKind<Readonly<Record<string, string>>> = {
  expected: 'key=value pairs separated by commas',
  secret: true,
  parse: (t) => {
    const result: Record<string, string> = {};
    for (const entry of t.split(',')) {
      if (entry.trim() === '') continue;
      const eq = entry.indexOf('=');
      const key = eq === -1 ? undefined : percentDecode(entry.slice(0, eq).trim());
      const value = eq === -1 ? undefined : percentDecode(entry.slice(eq + 1).trim());
      if (key === undefined || key === '' || value === undefined) {
        return new Refusal(
          `invalid entry ${JSON.stringify(entry)}; expected key=value pairs separated by commas`,
        );
      }
      result[key] = value;
    }
    return result;
  },
};

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

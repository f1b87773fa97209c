// Reads InfluxDB's answer to a write that hit one of its cardinality limits. InfluxDB 1.x answers
// 400 with `{"error":"partial write: <reason> dropped=<N>"}`; the reasons that are limits are
//   max-values-per-tag limit exceeded (5/3): measurement="m" tag="p" value="f"
//   max-series-per-database limit exceeded: (5)
// Such a refusal is about the database's settings, not the data: the same line is stored once an
// operator raises the limit, so a client must not be told to drop it.
// Other partial writes (a field type conflict, points beyond the retention policy) are about the
// data and stay refusals.

/** The database settings whose limits the ingest recognises; the `limit` label of its counter. */
export type DatabaseLimit = 'max-values-per-tag' | 'max-series-per-database';

/** The tag value a `max-values-per-tag` refusal names: lines carrying it are the refused ones. */
export interface NamedTagValue {
  readonly measurement: string;
  readonly tag: string;
  readonly value: string;
}

export interface LimitRefusal {
  readonly limit: DatabaseLimit;
  /** Points the database says it dropped (`dropped=N`). */
  readonly dropped: number;
  /** For `max-values-per-tag`: the value it refused, when the message could be read exactly. */
  readonly named?: NamedTagValue;
  /** The database's message, for logs. */
  readonly message: string;
}

const PARTIAL_WRITE = /^partial write: (.*) dropped=(\d+)$/s;
// A Go `%q` string: quotes around anything but an unescaped quote.
const GO_QUOTED = String.raw`("(?:[^"\\]|\\.)*")`;
const VALUES_PER_TAG = new RegExp(
  String.raw`^max-values-per-tag limit exceeded \(\d+/\d+\): measurement=${GO_QUOTED} tag=${GO_QUOTED} value=${GO_QUOTED}$`,
  's',
);
const SERIES_PER_DATABASE = /^max-series-per-database limit exceeded: \(\d+\)$/;

/** The limit refusal in an upstream answer, or undefined when the answer is anything else. */
export function parseLimitRefusal(status: number, body: string): LimitRefusal | undefined {
  if (status !== 400) return undefined;
  const message = errorMessage(body);
  if (message === undefined) return undefined;
  const partial = PARTIAL_WRITE.exec(message);
  if (partial === null) return undefined;
  const reason = partial[1] as string;
  const dropped = Number(partial[2]);
  if (SERIES_PER_DATABASE.test(reason)) {
    return { limit: 'max-series-per-database', dropped, message };
  }
  const values = VALUES_PER_TAG.exec(reason);
  if (values === null) return undefined;
  const measurement = unquoteGo(values[1] as string);
  const tag = unquoteGo(values[2] as string);
  const value = unquoteGo(values[3] as string);
  const named =
    measurement === undefined || tag === undefined || value === undefined
      ? undefined
      : { measurement, tag, value };
  return { limit: 'max-values-per-tag', dropped, message, ...(named && { named }) };
}

/** The `error` (1.x) or `message` (2.x) of a JSON error body. */
function errorMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { error, message } = parsed as { error?: unknown; message?: unknown };
  if (typeof error === 'string') return error;
  return typeof message === 'string' ? message : undefined;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  n: '\n',
  t: '\t',
  r: '\r',
};

/**
 * A Go `%q` string back to its text. Only the escapes Go writes for printable text and common
 * controls are read; any other (a byte escape, say) gives undefined, so no line is matched by a
 * guess.
 */
export function unquoteGo(quoted: string): string | undefined {
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return undefined;
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) {
    const c = quoted[i] as string;
    if (c === '"') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = SIMPLE_ESCAPES[quoted[i + 1] ?? ''];
    if (escaped === undefined) return undefined;
    out += escaped;
    i++;
  }
  return out;
}

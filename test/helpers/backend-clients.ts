// Small fetch-based clients for the real backends, shared by the integration tests:
// InfluxDB 1.6 (/write, InfluxQL), VictoriaMetrics (/api/v2/write, export, PromQL), Prometheus.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { inspect } from 'node:util';

/** Every request is bounded so a hung backend fails the test instead of the run. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Error messages quote at most this much of a response body or value. */
const QUOTE_LIMIT = 2_000;

let nameCounter = 0;

/** A name unique to this run and process: `[A-Za-z0-9_]` only, so it is a valid database and metric name. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  const safe = prefix.replace(/[^A-Za-z0-9_]/g, '_');
  return `${safe}_${process.pid}_${nameCounter}_${randomBytes(3).toString('hex')}`;
}

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}… (${text.length} chars)` : text;
}

async function send(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

async function expectOk(
  what: string,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: string }> {
  const res = await send(url, init);
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${what}: HTTP ${res.status} from ${url}: ${quote(res.body)}`);
  }
  return res;
}

function form(params: Record<string, string | string[]>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
  }
  return body;
}

// ---------------------------------------------------------------- InfluxDB 1.6

/** InfluxDB 1.6 precisions (it has no `ns`/`us`: it silently treats them as nanoseconds). */
export type InfluxPrecision = 'n' | 'u' | 'ms' | 's' | 'm' | 'h';
export type InfluxValue = string | number | boolean | bigint | null;

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  /** Rows; the `time` column is a bigint (exact nanoseconds with epoch 'ns'). */
  values: InfluxValue[][];
}

/** Quotes an InfluxQL identifier. */
export function influxIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export async function influxCreateDatabase(url: string, db: string): Promise<void> {
  const res = await expectOk('CREATE DATABASE', `${url}/query`, {
    method: 'POST',
    body: form({ q: `CREATE DATABASE ${influxIdent(db)}` }),
  });
  influxResults(res.body);
}

/** POSTs line protocol to InfluxDB 1.x `/write`; throws with InfluxDB's error unless it answers 204. */
export async function influxWrite(
  url: string,
  db: string,
  body: string,
  precision?: InfluxPrecision,
): Promise<void> {
  const params = new URLSearchParams({ db });
  if (precision !== undefined) params.set('precision', precision);
  const res = await send(`${url}/write?${params}`, { method: 'POST', body });
  if (res.status !== 204) {
    throw new Error(`InfluxDB write to ${db}: HTTP ${res.status}: ${quote(res.body)}`);
  }
}

/** Runs InfluxQL and returns the series of all statements; throws on any statement error. */
export async function influxQuery(
  url: string,
  db: string,
  influxql: string,
  options: { epoch?: 'ns' | 'u' | 'ms' | 's' } = {},
): Promise<InfluxSeries[]> {
  const epoch = options.epoch ?? 'ns';
  const res = await expectOk('InfluxQL query', `${url}/query`, {
    method: 'POST',
    body: form({ db, q: influxql, epoch }),
  });
  const series = influxResults(res.body).flatMap((r) => r.series ?? []);
  for (const s of series) {
    const timeIndex = s.columns.indexOf('time');
    if (timeIndex < 0) continue;
    for (const row of s.values) {
      const t = row[timeIndex];
      if (typeof t === 'number') row[timeIndex] = BigInt(t);
    }
  }
  return series;
}

/**
 * Rows of a series as objects keyed by column (plus its tags, for GROUP BY queries); no rows for
 * a missing series, so `influxRows(series[0])` reads naturally in assertions.
 */
export function influxRows(series: InfluxSeries | undefined): Record<string, InfluxValue>[] {
  if (series === undefined) return [];
  const tags = series.tags;
  return series.values.map((row) => {
    const entry: Record<string, InfluxValue> = { ...tags };
    series.columns.forEach((column, i) => {
      entry[column] = row[i] ?? null;
    });
    return entry;
  });
}

interface InfluxResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

function influxResults(body: string): InfluxResult[] {
  const parsed = parseJsonExactIntegers(body) as { results?: InfluxResult[]; error?: string };
  if (parsed.error !== undefined) throw new Error(`InfluxDB: ${parsed.error}`);
  const results = parsed.results ?? [];
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    throw new Error(
      `InfluxDB: ${failed.map((r) => `statement ${r.statement_id}: ${r.error}`).join('; ')}`,
    );
  }
  return results;
}

const BIG_MARK = `\u0000bigint:${randomBytes(6).toString('hex')}:`;

/**
 * JSON.parse that keeps integers beyond 2^53 exact (as bigint): nanosecond timestamps such as
 * 1700000000000000001 do not survive a float64. Node 20 has no JSON.parse source access, so
 * such literals are quoted with a marker before parsing and revived afterwards.
 */
export function parseJsonExactIntegers(text: string): unknown {
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string literal, honouring escapes
      i += 1;
      while (i < text.length && text.charCodeAt(i) !== 0x22)
        i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i += 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i += 1;
      while (i < text.length && /[0-9.eE+-]/.test(text.charAt(i))) i += 1;
      const literal = text.slice(start, i);
      if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(last, start)}${JSON.stringify(BIG_MARK + literal)}`;
        last = i;
      }
    } else {
      i += 1;
    }
  }
  out += text.slice(last);
  return JSON.parse(out, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(BIG_MARK)
      ? BigInt(value.slice(BIG_MARK.length))
      : value,
  );
}

// ---------------------------------------------------------------- VictoriaMetrics

export interface VmExportSeries {
  metric: Record<string, string>;
  values: number[];
  /** Milliseconds since the epoch. */
  timestamps: number[];
}

/** POSTs line protocol to VictoriaMetrics' InfluxDB v2 endpoint `/api/v2/write`. */
export async function vmWrite(
  url: string,
  body: string,
  precision: 'ns' | 'us' | 'ms' | 's' = 'ns',
): Promise<void> {
  const res = await send(`${url}/api/v2/write?${new URLSearchParams({ precision })}`, {
    method: 'POST',
    body,
  });
  if (res.status !== 204)
    throw new Error(`VictoriaMetrics write: HTTP ${res.status}: ${quote(res.body)}`);
}

/** Makes recently ingested samples searchable now instead of within a few seconds. */
export async function vmForceFlush(url: string): Promise<void> {
  await expectOk('VictoriaMetrics force_flush', `${url}/internal/force_flush`);
}

/** Raw samples of every series matching a series selector, e.g. `{__name__=~"netbird_.*"}`. */
export async function vmExport(url: string, match: string): Promise<VmExportSeries[]> {
  const res = await expectOk('VictoriaMetrics export', `${url}/api/v1/export`, {
    method: 'POST',
    body: form({ 'match[]': match }),
  });
  return res.body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VmExportSeries);
}

// ---------------------------------------------------------------- PromQL (VictoriaMetrics, Prometheus)

export interface PromSample {
  metric: Record<string, string>;
  /** Seconds since the epoch (fractional). */
  timestamp: number;
  value: number;
}

function promNumber(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

async function instantQuery(what: string, url: string, promql: string): Promise<PromSample[]> {
  const res = await expectOk(what, `${url}/api/v1/query`, {
    method: 'POST',
    body: form({ query: promql }),
  });
  const parsed = JSON.parse(res.body) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (parsed.status !== 'success' || parsed.data === undefined) {
    throw new Error(`${what} ${promql}: ${parsed.error ?? quote(res.body)}`);
  }
  const { resultType, result } = parsed.data;
  if (resultType === 'vector') {
    return (result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      metric: s.metric,
      timestamp: s.value[0],
      value: promNumber(s.value[1]),
    }));
  }
  if (resultType === 'scalar') {
    const [timestamp, value] = result as [number, string];
    return [{ metric: {}, timestamp, value: promNumber(value) }];
  }
  throw new Error(`${what} ${promql}: expected an instant vector, got ${resultType}`);
}

/** PromQL instant query against VictoriaMetrics. */
export function vmQuery(url: string, promql: string): Promise<PromSample[]> {
  return instantQuery('VictoriaMetrics query', url, promql);
}

/** PromQL instant query against Prometheus. */
export function promQuery(url: string, promql: string): Promise<PromSample[]> {
  return instantQuery('Prometheus query', url, promql);
}

/**
 * Binds `server` to the first of Prometheus' scrape-target ports that is free (test files run in
 * parallel and may hold others) and returns that port.
 */
export async function listenOnScrapeTarget(server: Server, ports: number[]): Promise<number> {
  for (const port of ports) {
    const bound = await new Promise<boolean>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') resolve(false);
        else reject(err);
      };
      server.once('error', onError);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        server.off('error', onError);
        resolve(true);
      });
    });
    if (bound) return port;
  }
  throw new Error(`all Prometheus scrape-target ports are in use: ${ports.join(', ')}`);
}

// ---------------------------------------------------------------- polling

export interface WaitForOptions<T> {
  timeoutMs: number;
  intervalMs?: number;
  /** Done when this returns true; without it, done on the first value that is not undefined, null or false. */
  until?: (value: T) => boolean;
  /** Names what is awaited, for the timeout message. */
  what?: string;
}

/**
 * Calls `fn` until its value is accepted (see `until`) and returns that value. A call that throws
 * counts as not yet. On timeout, throws with the last value or error seen.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions<T>): Promise<T> {
  const { timeoutMs, intervalMs = 100, until } = options;
  const accept = until ?? ((v: T) => v !== undefined && v !== null && v !== false);
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last: { value: T } | { error: unknown } | undefined;
  while (true) {
    attempts += 1;
    try {
      const value = await fn();
      if (accept(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
  const seen =
    last === undefined
      ? 'nothing'
      : 'error' in last
        ? `last error: ${last.error instanceof Error ? last.error.message : inspect(last.error)}`
        : `last value: ${inspect(last.value, { depth: 6, breakLength: 120 })}`;
  throw new Error(
    `waitFor${options.what ? ` ${options.what}` : ''} timed out after ${timeoutMs} ms (${attempts} attempts); ${quote(seen)}`,
  );
}

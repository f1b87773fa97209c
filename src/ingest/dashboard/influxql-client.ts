// Talking InfluxQL to InfluxDB (`POST /query`): InfluxDB 1.x directly, 2.x and 3.x through their
// v1 compatibility API. Every answer is read with a size bound and a timeout, and statements run
// in groups so that one slow measurement delays only its own panels.

export interface InfluxqlSourceOptions {
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  url: string;
  database: string;
  retentionPolicy?: string;
  /** InfluxDB 2.x/3.x token (sent as `Authorization: Token …`). */
  token?: string;
  /** InfluxDB 1.x credentials. */
  username?: string;
  password?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Largest response body read; default 16 MiB. */
  maxResponseBytes?: number;
}

export type Value = string | number | boolean | null;

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Value[][];
}

interface StatementResult {
  statement_id?: number;
  series?: Series[];
  error?: string;
}

export class InfluxqlError extends Error {
  override name = 'InfluxqlError';
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

async function readBounded(res: Response, limit: number): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new InfluxqlError(`InfluxDB response larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs statements in one request; returns each statement's series, in order. */
export async function runInfluxql(
  options: InfluxqlSourceOptions,
  statements: readonly string[],
  signal?: AbortSignal,
): Promise<Series[][]> {
  const params = new URLSearchParams({
    db: options.database,
    epoch: 'ms',
    q: statements.join(';\n'),
  });
  if (options.retentionPolicy) params.set('rp', options.retentionPolicy);
  if (options.username !== undefined) params.set('u', options.username);
  if (options.password !== undefined) params.set('p', options.password);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.token) headers.authorization = `Token ${options.token}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const url = `${options.url.replace(/\/+$/, '')}/query`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: params,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    throw new InfluxqlError(
      `InfluxDB ${url}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  const text = await readBounded(res, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  if (!res.ok)
    throw new InfluxqlError(`InfluxDB ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  let parsed: { results?: StatementResult[]; error?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new InfluxqlError(`InfluxDB ${url}: not JSON: ${text.slice(0, 200)}`);
  }
  if (parsed.error) throw new InfluxqlError(`InfluxDB: ${parsed.error}`);
  const results = parsed.results ?? [];
  const byStatement = statements.map(
    (_, i) => results.find((x) => x.statement_id === i) ?? results[i],
  );
  // With several statements, InfluxDB 1.x reports some failures (an unknown database) only as
  // "not executed"; running the statements one at a time brings out the real reason.
  if (statements.length > 1 && byStatement.some((r) => r?.error === 'not executed')) {
    for (const statement of statements) await runInfluxql(options, [statement], signal);
  }
  return statements.map((statement, i) => {
    const r = byStatement[i];
    if (r?.error) throw new InfluxqlError(`InfluxDB: ${r.error} in: ${statement}`);
    return r?.series ?? [];
  });
}

/** Statements run together in one request, named by what they feed. */
export interface StatementGroup {
  readonly label: string;
  readonly statements: readonly string[];
}

/** The request ran out of time (in fetch, or while its body was read). */
function timedOut(error: unknown): boolean {
  const name = (e: unknown) => (e instanceof Error ? e.name : undefined);
  return (
    name(error) === 'TimeoutError' || name((error as Error | undefined)?.cause) === 'TimeoutError'
  );
}

/**
 * Runs each group as its own request, all at once: one measurement's cost (a hundred thousand
 * login results make every login query slow) then delays only its own panels, and a group that
 * runs out of time leaves its statements empty and says so in `failed`. Any other failure fails
 * the whole call (the database is unknown, unreachable or down), and so does every group timing
 * out unless `allMayTimeOut`.
 */
export async function runGroups(
  options: InfluxqlSourceOptions,
  groups: readonly StatementGroup[],
  signal: AbortSignal | undefined,
  allMayTimeOut = false,
): Promise<{ results: Series[][][]; failed: string[] }> {
  const settled = await Promise.allSettled(
    groups.map((g) =>
      g.statements.length === 0 ? Promise.resolve([]) : runInfluxql(options, g.statements, signal),
    ),
  );
  signal?.throwIfAborted();
  const failed: string[] = [];
  const results = settled.map((outcome, k) => {
    const group = groups[k] as StatementGroup;
    if (outcome.status === 'fulfilled')
      return group.statements.map((_, j) => outcome.value[j] ?? []);
    const reason =
      outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
    failed.push(`${group.label} could not be read: ${reason.slice(0, 300)}`);
    return group.statements.map(() => []);
  });
  for (const outcome of settled) {
    if (outcome.status === 'rejected' && !timedOut(outcome.reason)) throw outcome.reason;
  }
  const firstFailure = settled.find((o) => o.status === 'rejected');
  if (!allMayTimeOut && failed.length === groups.length && firstFailure?.status === 'rejected') {
    throw firstFailure.reason;
  }
  return { results, failed };
}

function num(v: Value | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The number in `column` of the first row of the first series. */
export function firstValue(
  series: readonly Series[] | undefined,
  column: string,
): number | undefined {
  const s = series?.[0];
  if (s === undefined) return undefined;
  const i = s.columns.indexOf(column);
  return i < 0 ? undefined : num(s.values[0]?.[i]);
}

/** One row of an answer: its time, and its columns as numbers (`get`) or as they came (`raw`). */
export interface Row {
  readonly time: number | undefined;
  get(column: string): number | undefined;
  raw(column: string): Value | undefined;
}

/** Each row of every series, in order. */
export function* rows(series: readonly Series[]): Generator<Row> {
  for (const s of series) {
    const ti = s.columns.indexOf('time');
    for (const row of s.values) {
      const raw = (column: string) => {
        const i = s.columns.indexOf(column);
        return i < 0 ? undefined : row[i];
      };
      yield { time: num(row[ti]), get: (column) => num(raw(column)), raw };
    }
  }
}

export { num as finiteNumber };

// The dashboard read from InfluxDB through InfluxQL (`GET /query`): InfluxDB 1.x directly, 2.x
// through its v1 compatibility API (token auth, needs a DBRP mapping), 3.x likewise. It runs
// the Grafana dashboard's own queries, plus counts, and bounded versions of the rest: the raw
// point queries most recent first with a LIMIT, and the logins by result as the largest few
// (`top`) plus the known results, so however many distinct results the database holds, every
// answer stays small and the page is drawn.
import { INFLUXQL_PANEL_QUERIES, TIME_FILTER, withTimeFilter } from './influxql-queries.js';
import { displayLabel } from './labels.js';
import {
  CONNECTION_TYPE_ORDER,
  type DashboardData,
  DEFAULT_PANEL_LIMITS,
  type Extremes,
  groupLimits,
  groupPointsAsSlices,
  LOGIN_RESULT_ORDER,
  type PanelLimits,
  type PlotPoint,
  type PointSeries,
  STAGE_BARS,
  type TimeRange,
} from './panels.js';
import type { DashboardSource } from './source.js';
import { topSlices } from './top-counts.js';

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

type Value = string | number | boolean | null;

interface Series {
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

function num(v: Value | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The value of `column` in the first row of the first series. */
function first(series: Series[] | undefined, column: string): number | undefined {
  const s = series?.[0];
  if (s === undefined) return undefined;
  const i = s.columns.indexOf(column);
  return i < 0 ? undefined : num(s.values[0]?.[i]);
}

/** Points of `column`; with `grouped`, each point's group is that tag, selected as a column. */
function points(series: Series[], column: string, grouped: string | undefined): PlotPoint[] {
  const out: PlotPoint[] = [];
  for (const s of series) {
    const ti = s.columns.indexOf('time');
    const vi = s.columns.indexOf(column);
    const gi = grouped === undefined ? -1 : s.columns.indexOf(grouped);
    for (const row of s.values) {
      const t = num(row[ti]);
      const v = num(row[vi]);
      if (t === undefined || v === undefined) continue;
      if (grouped === undefined) out.push({ t, v });
      else out.push({ t, v, group: displayLabel(String(row[gi] ?? '')) });
    }
  }
  return out.sort((a, b) => a.t - b.t || a.v - b.v);
}

/** Counts by a tag from rows of `[time, count, tag]` (a `top`) or from series grouped by it. */
function addCounts(into: Map<string, number>, series: Series[], column: string, tag: string) {
  for (const s of series) {
    const ci = s.columns.indexOf(column);
    const ti = s.columns.indexOf(tag);
    for (const row of s.values) {
      const c = num(row[ci]) ?? 0;
      const label = displayLabel(String((ti < 0 ? s.tags?.[tag] : row[ti]) ?? ''));
      if (c > 0) into.set(label, c);
    }
  }
}

/** Logins by result, bounded: the `n` largest counts, the known results, and the total. */
function loginCountStatements(n: number): string[] {
  const known = LOGIN_RESULT_ORDER.map((r) => `"result" = '${r}'`).join(' OR ');
  return [
    `SELECT top("logins", "result", ${n}) FROM (SELECT count("duration_seconds") AS "logins" FROM "netbird_login" WHERE ${TIME_FILTER} GROUP BY "result")`,
    `SELECT count("duration_seconds") AS "logins" FROM "netbird_login" WHERE ${TIME_FILTER} AND (${known}) GROUP BY "result"`,
    `SELECT count("duration_seconds") AS "n" FROM "netbird_login" WHERE ${TIME_FILTER}`,
  ];
}

/** The raw login points with their result as a column: one series, at most `n` rows. */
const RECENT_LOGINS = (n: number) =>
  `SELECT "duration_seconds" AS "login", "result" FROM "netbird_login" WHERE ${TIME_FILTER} ORDER BY time DESC LIMIT ${n}`;

function pointSeries(pts: PlotPoint[], total: number | undefined, limit: number): PointSeries {
  const kept = pts.length > limit ? pts.slice(pts.length - limit) : pts;
  return { points: kept, total: total ?? kept.length, selection: 'most recent' };
}

/** Appends `ORDER BY time DESC LIMIT n` to a raw point query (after its GROUP BY, if any). */
function recent(query: string, limit: number): string {
  return `${query} ORDER BY time DESC LIMIT ${limit}`;
}

/** Positions in the statement list below, by the panels they feed. */
const STATEMENT_GROUPS = [
  { panels: 'sync panels', at: [0, 2, 10] },
  { panels: 'connection panels', at: [1, 3, 4, 5, 6, 7, 11] },
  // The known results apart: cheap whatever else is stored, so the donut keeps them.
  { panels: 'login success and failure counts', at: [12] },
  { panels: 'login points and other results', at: [8, 9, 13] },
] as const;

/** The request ran out of time (in fetch, or while its body was read). */
function timedOut(error: unknown): boolean {
  const name = (e: unknown) => (e instanceof Error ? e.name : undefined);
  return (
    name(error) === 'TimeoutError' || name((error as Error | undefined)?.cause) === 'TimeoutError'
  );
}

/**
 * Runs each group of statements as its own request, all at once: one measurement's cost (a
 * hundred thousand login results make every login query slow) then delays only its own panels,
 * and a group that runs out of time leaves its statements empty and says so. Any other failure,
 * or every group timing out, fails the load (the database is unknown, unreachable or down).
 */
async function runGroups(
  options: InfluxqlSourceOptions,
  statements: readonly string[],
  signal: AbortSignal | undefined,
): Promise<{ results: Series[][]; failed: string[] }> {
  const settled = await Promise.allSettled(
    STATEMENT_GROUPS.map((g) =>
      runInfluxql(
        options,
        g.at.map((i) => statements[i] as string),
        signal,
      ),
    ),
  );
  signal?.throwIfAborted();
  const results: Series[][] = statements.map(() => []);
  const failed: string[] = [];
  settled.forEach((outcome, k) => {
    const group = STATEMENT_GROUPS[k] as (typeof STATEMENT_GROUPS)[number];
    if (outcome.status === 'fulfilled') {
      group.at.forEach((i, j) => {
        results[i] = outcome.value[j] ?? [];
      });
    } else {
      const reason =
        outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      failed.push(`${group.panels} could not be read: ${reason.slice(0, 300)}`);
    }
  });
  for (const outcome of settled) {
    if (outcome.status === 'rejected' && !timedOut(outcome.reason)) throw outcome.reason;
  }
  const firstFailure = settled.find((o) => o.status === 'rejected');
  if (failed.length === STATEMENT_GROUPS.length && firstFailure?.status === 'rejected') {
    throw firstFailure.reason;
  }
  return { results, failed };
}

export function influxqlSource(options: InfluxqlSourceOptions): DashboardSource {
  const where = options.retentionPolicy ? `${options.retentionPolicy}` : 'default RP';
  return {
    description: `InfluxDB ${options.url} · database ${options.database} (${where}) via InfluxQL`,
    async load(range: TimeRange, limits: PanelLimits = DEFAULT_PANEL_LIMITS, signal?: AbortSignal) {
      const q = INFLUXQL_PANEL_QUERIES;
      const only = (list: readonly string[]) => list[0] as string;
      const f = (text: string) => withTimeFilter(text, range);
      const n = limits.maxPoints;
      const groups = groupLimits(limits);
      const loginStatements = loginCountStatements(groups.maxShown + LOGIN_RESULT_ORDER.length);
      // Result positions: 0 sync extremes, 1 total extremes, 2 sync points, 3–5 pairs by type,
      // 6 stage means, 7 total points, 8 login points, 9 largest logins by result, 10–11 counts,
      // 12 known login results, 13 login count.
      const statements = [
        only(q['sync-duration-extremes']),
        only(q['total-connection-time-extremes']),
        recent(only(q['sync-duration']), n),
        ...q['ice-vs-relay'],
        only(q['connection-stage-durations']),
        recent(only(q['total-connection-time']), n),
        // The Grafana panels group these by result: one series per distinct result, unbounded.
        RECENT_LOGINS(n),
        loginStatements[0] as string,
        // Counts the panels show or need for "n of m" notes.
        `SELECT count("duration_seconds") AS "n" FROM "netbird_sync" WHERE ${TIME_FILTER}`,
        `SELECT count("total_seconds") AS "n", count("signaling_to_connection_seconds") AS "s", count("connection_to_wg_handshake_seconds") AS "h" FROM "netbird_peer_connection" WHERE ${TIME_FILTER}`,
        ...loginStatements.slice(1),
      ].map(f);
      const { results: r, failed } = await runGroups(options, statements, signal);
      const at = (i: number): Series[] => r[i] ?? [];
      const syncCount = first(at(10), 'n') ?? 0;
      const connCount = first(at(11), 'n') ?? 0;
      const extremes = (s: Series[], count: number): Extremes => ({
        min: first(s, 'min'),
        max: first(s, 'max'),
        count,
      });
      const iceVsRelay = new Map<string, number>();
      CONNECTION_TYPE_ORDER.forEach((type, k) => {
        const c = first(at(3 + k), type) ?? 0;
        if (c > 0) iceVsRelay.set(type, c);
      });
      const logins = new Map<string, number>();
      addCounts(logins, at(9), 'top', 'result');
      addCounts(logins, at(12), 'logins', 'result');
      const loginTotal = first(at(13), 'n') ?? 0;
      let listed = 0;
      for (const c of logins.values()) listed += c;
      const loginSlices = topSlices(
        logins,
        LOGIN_RESULT_ORDER,
        groups.maxShown,
        Math.max(0, loginTotal - listed),
      );
      const stageCounts = [first(at(11), 's') ?? 0, first(at(11), 'h') ?? 0];
      const data: DashboardData = {
        range,
        syncDurationExtremes: extremes(at(0), syncCount),
        totalConnectionTimeExtremes: extremes(at(1), connCount),
        syncDuration: pointSeries(points(at(2), 'sync', undefined), syncCount, n),
        iceVsRelay: topSlices(iceVsRelay, CONNECTION_TYPE_ORDER, groups.maxShown),
        connectionStageDurations: STAGE_BARS.map((bar, i) => ({
          label: bar.label,
          value: first(at(6), bar.label),
          count: stageCounts[i] ?? 0,
        })),
        totalConnectionTime: pointSeries(points(at(7), 'total', undefined), connCount, n),
        loginDuration: groupPointsAsSlices(
          pointSeries(points(at(8), 'login', 'result'), loginTotal, n),
          loginSlices,
        ),
        loginSuccessVsFailure: loginSlices,
        ...(failed.length > 0 ? { truncated: failed.join('; ') } : {}),
      };
      return data;
    },
  };
}

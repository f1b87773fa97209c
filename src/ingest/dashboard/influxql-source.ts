// The dashboard read from InfluxDB through InfluxQL: InfluxDB 1.x directly, 2.x through its v1
// compatibility API (token auth, needs a DBRP mapping), 3.x likewise. The panels run the Grafana
// dashboard's own queries, plus counts, and bounded versions of the rest: the raw point queries
// most recent first with a LIMIT, and the logins by result as the largest few (`top`) plus the
// known results, so however many distinct results the database holds, every answer stays small
// and the page is drawn. Every query carries the request's filters beside its time filter, and
// the operator views are computed by InfluxDB too, to the numbers the sample source gives.
import type { Filters } from './filters.js';
import {
  firstValue,
  type InfluxqlSourceOptions,
  finiteNumber as num,
  rows,
  runGroups,
  type Series,
} from './influxql-client.js';
import { withFilters } from './influxql-filters.js';
import { InfluxqlInsights, loadExtent, type RunGroups } from './influxql-insights.js';
import {
  INFLUXQL_PANEL_QUERIES,
  sampleTimeFilter,
  TIME_FILTER,
  withTimeFilter,
} from './influxql-queries.js';
import { fittedRange, timeBuckets } from './insights.js';
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

export { InfluxqlError, type InfluxqlSourceOptions, runInfluxql } from './influxql-client.js';

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
  { panels: 'connection panels', at: [1, 3, 4, 5, 6, 7, 11, 14, 15] },
  // The known results apart: cheap whatever else is stored, so the donut keeps them.
  { panels: 'login success and failure counts', at: [12] },
  { panels: 'login points and other results', at: [8, 9, 13] },
] as const;

type PanelData = Omit<DashboardData, 'insights'>;

const LAST_TYPE_PER_PAIR = `SELECT last("total_seconds"), "connection_type" FROM "netbird_peer_connection" WHERE ${TIME_FILTER} GROUP BY "connection_pair_id"`;

/**
 * Pairs whose last type is none of the known ones (a transport newer clients use): their count,
 * and the type of up to `limit` of them, so the donut labels them as the sample source does.
 * The type is a column of the subquery, not a tag, so it cannot be grouped by in InfluxQL.
 */
function otherTypeStatements(limit: number): string[] {
  const unknown = CONNECTION_TYPE_ORDER.map((t) => `"connection_type" != '${t}'`).join(' AND ');
  return [
    `SELECT count("last") AS "n" FROM (${LAST_TYPE_PER_PAIR}) WHERE ${unknown}`,
    `SELECT "connection_type" FROM (${LAST_TYPE_PER_PAIR}) WHERE ${unknown} LIMIT ${limit}`,
  ];
}

/** Pairs by their last connection type; `unlabelled` pairs of other types beyond the limit. */
function pairsByType(at: (i: number) => Series[]): {
  counts: Map<string, number>;
  unlabelled: number;
} {
  const counts = new Map<string, number>();
  CONNECTION_TYPE_ORDER.forEach((type, k) => {
    const c = firstValue(at(3 + k), type) ?? 0;
    if (c > 0) counts.set(type, c);
  });
  let labelled = 0;
  for (const row of rows(at(15))) {
    const type = row.raw('connection_type');
    if (typeof type !== 'string' || type === '') continue;
    const label = displayLabel(type);
    counts.set(label, (counts.get(label) ?? 0) + 1);
    labelled++;
  }
  return { counts, unlabelled: Math.max(0, (firstValue(at(14), 'n') ?? 0) - labelled) };
}

/**
 * The panels' statements, each restricted to the range and the filters. Result positions: 0 sync
 * extremes, 1 total extremes, 2 sync points, 3–5 pairs by type, 6 stage means, 7 total points,
 * 8 login points, 9 largest logins by result, 10–11 counts, 12 known login results, 13 login
 * count, 14–15 pairs of other types.
 */
function panelStatements(range: TimeRange, filters: Filters, limits: PanelLimits): string[] {
  const q = INFLUXQL_PANEL_QUERIES;
  const only = (list: readonly string[]) => list[0] as string;
  const n = limits.maxPoints;
  const loginStatements = loginCountStatements(
    groupLimits(limits).maxShown + LOGIN_RESULT_ORDER.length,
  );
  const time = sampleTimeFilter(range);
  return [
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
    ...otherTypeStatements(groupLimits(limits).maxTracked),
  ].map((text) => withTimeFilter(withFilters(text, filters), range, time));
}

/** The eight panels from the answers to {@link panelStatements}. */
function readPanels(
  at: (i: number) => Series[],
  range: TimeRange,
  limits: PanelLimits,
  failed: readonly string[],
): PanelData {
  const n = limits.maxPoints;
  const groups = groupLimits(limits);
  const syncCount = firstValue(at(10), 'n') ?? 0;
  const connCount = firstValue(at(11), 'n') ?? 0;
  const extremes = (s: Series[], count: number): Extremes => ({
    min: firstValue(s, 'min'),
    max: firstValue(s, 'max'),
    count,
  });
  const pairs = pairsByType(at);
  const logins = new Map<string, number>();
  addCounts(logins, at(9), 'top', 'result');
  addCounts(logins, at(12), 'logins', 'result');
  const loginTotal = firstValue(at(13), 'n') ?? 0;
  let listed = 0;
  for (const c of logins.values()) listed += c;
  const loginSlices = topSlices(
    logins,
    LOGIN_RESULT_ORDER,
    groups.maxShown,
    Math.max(0, loginTotal - listed),
  );
  const stageCounts = [firstValue(at(11), 's') ?? 0, firstValue(at(11), 'h') ?? 0];
  return {
    range,
    syncDurationExtremes: extremes(at(0), syncCount),
    totalConnectionTimeExtremes: extremes(at(1), connCount),
    syncDuration: pointSeries(points(at(2), 'sync', undefined), syncCount, n),
    iceVsRelay: topSlices(pairs.counts, CONNECTION_TYPE_ORDER, groups.maxShown, pairs.unlabelled),
    connectionStageDurations: STAGE_BARS.map((bar, i) => ({
      label: bar.label,
      value: firstValue(at(6), bar.label),
      count: stageCounts[i] ?? 0,
    })),
    totalConnectionTime: pointSeries(points(at(7), 'total', undefined), connCount, n),
    loginDuration: groupPointsAsSlices(
      pointSeries(points(at(8), 'login', 'result'), loginTotal, n),
      loginSlices,
    ),
    loginSuccessVsFailure: loginSlices,
    ...truncation(failed, pairs.unlabelled),
  };
}

function truncation(failed: readonly string[], unlabelled: number): { truncated?: string } {
  const notes = [...failed];
  if (unlabelled > 0) {
    notes.push(
      `ICE vs Relay: ${unlabelled} pairs of other connection types are counted as "other"`,
    );
  }
  return notes.length > 0 ? { truncated: notes.join('; ') } : {};
}

async function loadPanels(
  options: InfluxqlSourceOptions,
  range: TimeRange,
  filters: Filters,
  limits: PanelLimits,
  signal: AbortSignal,
): Promise<PanelData> {
  const statements = panelStatements(range, filters, limits);
  const groups = STATEMENT_GROUPS.map((g) => ({
    label: g.panels,
    statements: g.at.map((i) => statements[i] as string),
  }));
  const { results, failed } = await runGroups(options, groups, signal);
  const flat: Series[][] = statements.map(() => []);
  STATEMENT_GROUPS.forEach((g, k) => {
    g.at.forEach((i, j) => {
      flat[i] = results[k]?.[j] ?? [];
    });
  });
  return readPanels((i) => flat[i] ?? [], range, limits, failed);
}

/**
 * Runs `work` with a signal that also ends when any of it fails, so the requests still running
 * for a load that has already failed are cancelled rather than left to their timeout.
 */
async function cancelOnFailure<T>(
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const linked = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  try {
    return await work(linked);
  } catch (error) {
    controller.abort();
    throw error;
  }
}

export function influxqlSource(options: InfluxqlSourceOptions): DashboardSource {
  const where = options.retentionPolicy ? `${options.retentionPolicy}` : 'default RP';
  return {
    description: `InfluxDB ${options.url} · database ${options.database} (${where}) via InfluxQL`,
    load(range, limits = DEFAULT_PANEL_LIMITS, signal, filters = {}, fit = false) {
      return cancelOnFailure(signal, async (linked) => {
        // The insights' requests may all time out and still leave the panels to show.
        const run: RunGroups = (groups) => runGroups(options, groups, linked, true);
        // A fit request shows the range from the bucket of its first sample: read that first.
        const extent = fit ? await loadExtent(run, { range, filters }) : undefined;
        const shown = extent ? fittedRange(range, extent) : range;
        const insights = new InfluxqlInsights(
          { range: shown, filters },
          timeBuckets(shown),
          groupLimits(limits).maxShown,
          extent,
        );
        const [panels, views] = await Promise.all([
          loadPanels(options, shown, filters, limits, linked),
          insights.load(run),
        ]);
        return { ...panels, insights: views };
      });
    },
  };
}

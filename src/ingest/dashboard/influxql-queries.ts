// The InfluxQL behind each panel of the dashboard. The Grafana dashboard
// (grafana/dashboards/netbird-influxql.json) runs exactly these texts with Grafana's
// `$timeFilter`, and the built-in dashboard runs them with the same filter filled in, so both
// show the same numbers; a test keeps the two in step.
//
// Plain InfluxQL (no Flux): it runs on InfluxDB 1.x, on 2.x through the v1 `/query`
// compatibility API (needs a DBRP mapping), and on 3.x.
//
// ICE vs Relay counts the *last* connection type per `connection_pair_id`, as NetBird's
// Flux query does (a reconnection over another transport, and the two ends of one pair, count once).
// The subquery takes the last row per pair with its `connection_type`; the outer filter then
// applies to that row's type (tested on InfluxDB 1.6: a pair whose last type differs from an
// earlier one is counted under the last type only). One query per type, because an outer
// `GROUP BY "connection_type"` would regroup by the raw tag and count every type a pair had.
import { CONNECTION_TYPE_ORDER, type PanelId, STAGE_BARS, type TimeRange } from './panels.js';

export const TIME_FILTER = '$timeFilter';

const lastPerPair = (type: string) =>
  `SELECT count("last") AS "${type}" FROM (SELECT last("total_seconds"), "connection_type" FROM "netbird_peer_connection" WHERE ${TIME_FILTER} GROUP BY "connection_pair_id") WHERE "connection_type" = '${type}'`;

export const INFLUXQL_PANEL_QUERIES: Readonly<Record<PanelId, readonly string[]>> = {
  'sync-duration-extremes': [
    `SELECT min("duration_seconds") AS "min", max("duration_seconds") AS "max" FROM "netbird_sync" WHERE ${TIME_FILTER}`,
  ],
  'total-connection-time-extremes': [
    `SELECT min("total_seconds") AS "min", max("total_seconds") AS "max" FROM "netbird_peer_connection" WHERE ${TIME_FILTER}`,
  ],
  'sync-duration': [`SELECT "duration_seconds" AS "sync" FROM "netbird_sync" WHERE ${TIME_FILTER}`],
  'ice-vs-relay': CONNECTION_TYPE_ORDER.map(lastPerPair),
  'connection-stage-durations': [
    `SELECT ${STAGE_BARS.map((bar) => `mean("${bar.field}") AS "${bar.label}"`).join(', ')} FROM "netbird_peer_connection" WHERE ${TIME_FILTER}`,
  ],
  'total-connection-time': [
    `SELECT "total_seconds" AS "total" FROM "netbird_peer_connection" WHERE ${TIME_FILTER}`,
  ],
  'login-duration': [
    `SELECT "duration_seconds" AS "login" FROM "netbird_login" WHERE ${TIME_FILTER} GROUP BY "result"`,
  ],
  'login-success-vs-failure': [
    `SELECT count("duration_seconds") AS "logins" FROM "netbird_login" WHERE ${TIME_FILTER} GROUP BY "result"`,
  ],
};

/** Grafana's `$timeFilter` for a range, in milliseconds (what Grafana itself sends). */
export function timeFilter(range: TimeRange): string {
  return `time >= ${Math.floor(range.from)}ms and time <= ${Math.ceil(range.to)}ms`;
}

export function withTimeFilter(
  query: string,
  range: TimeRange,
  filter = timeFilter(range),
): string {
  return query.split(TIME_FILTER).join(filter);
}

/**
 * The samples the built-in dashboard counts in a range: those whose time in whole milliseconds
 * lies in it, both ends included, as the embedded store's source selects them. Grafana's filter
 * ends at the range's last millisecond itself, so a sample later in that millisecond would be
 * counted by one source and not the other.
 */
export function sampleTimeFilter(range: TimeRange): string {
  return `time >= ${Math.ceil(range.from)}ms AND time < ${Math.floor(range.to) + 1}ms`;
}

import { isInfluxV1WriteUrl } from '../sinks/influx-v1.js';
import { isInfluxV2WriteUrl } from '../sinks/influx-v2.js';
import type { InfluxqlSourceOptions } from './influxql-source.js';

/**
 * Where the ingest's `/dashboard` reads from, from the environment. Pure: returns a plan, the
 * caller builds the source. Default `auto`: the embedded store when the ingest stores samples
 * itself, otherwise InfluxQL against the InfluxDB that INFLUXDB_URL writes to (the `/query`
 * next to its `/write`; for `/api/v2/write` the v1 compatibility API, with the bucket as the
 * database name, which needs a DBRP mapping).
 */

export const DASHBOARD_ENV = {
  source: 'DASHBOARD_SOURCE',
  influxdbUrl: 'DASHBOARD_INFLUXDB_URL',
  database: 'DASHBOARD_INFLUXDB_DATABASE',
  retentionPolicy: 'DASHBOARD_INFLUXDB_RP',
  token: 'DASHBOARD_INFLUXDB_TOKEN',
  username: 'DASHBOARD_INFLUXDB_USERNAME',
  password: 'DASHBOARD_INFLUXDB_PASSWORD',
} as const;

export const DASHBOARD_SOURCES = ['auto', 'embedded', 'influxql', 'off'] as const;

export type DashboardPlan =
  | { kind: 'embedded' }
  | { kind: 'influxql'; options: InfluxqlSourceOptions }
  | { kind: 'off'; reason: string };

export class DashboardConfigError extends Error {
  override name = 'DashboardConfigError';
}

export interface DashboardContext {
  /** The ingest's INFLUXDB_URL (empty: embedded store). */
  influxdbUrl: string;
  /** The ingest's INFLUXDB_TOKEN. */
  influxdbToken: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The InfluxQL endpoint implied by an InfluxDB write URL, or undefined if there is none. */
export function influxqlFromWriteUrl(
  writeUrl: string,
  token: string,
): InfluxqlSourceOptions | undefined {
  let url: URL;
  try {
    url = new URL(writeUrl);
  } catch {
    return undefined;
  }
  const path = url.pathname.replace(/\/+$/, '');
  const credentials = (o: InfluxqlSourceOptions): InfluxqlSourceOptions => {
    const u = url.searchParams.get('u');
    const p = url.searchParams.get('p');
    return {
      ...o,
      ...(token ? { token } : {}),
      ...(u !== null ? { username: u } : {}),
      ...(p !== null ? { password: p } : {}),
    };
  };
  // v2 first: a `/api/v2/write` path also ends in `/write`.
  if (isInfluxV2WriteUrl(url)) {
    const bucket = url.searchParams.get('bucket');
    if (!bucket) return undefined;
    // A v2 bucket `db/rp` maps to database db and retention policy rp.
    const [database, rp] = bucket.split('/', 2) as [string, string | undefined];
    return credentials({
      url: `${url.origin}${path.slice(0, -'/api/v2/write'.length)}`,
      database,
      ...(rp ? { retentionPolicy: rp } : {}),
    });
  }
  if (isInfluxV1WriteUrl(url)) {
    const db = url.searchParams.get('db');
    if (!db) return undefined;
    const rp = url.searchParams.get('rp');
    return credentials({
      url: `${url.origin}${path.slice(0, -'/write'.length)}`,
      database: db,
      ...(rp ? { retentionPolicy: rp } : {}),
    });
  }
  return undefined;
}

export function dashboardPlanFromEnv(env: Env, context: DashboardContext): DashboardPlan {
  const source = read(env, DASHBOARD_ENV.source) ?? 'auto';
  if (!(DASHBOARD_SOURCES as readonly string[]).includes(source)) {
    throw new DashboardConfigError(
      `${DASHBOARD_ENV.source}=${JSON.stringify(source)}: expected one of ${DASHBOARD_SOURCES.join(', ')}`,
    );
  }
  if (source === 'off') return { kind: 'off', reason: `${DASHBOARD_ENV.source}=off` };
  const explicitUrl = read(env, DASHBOARD_ENV.influxdbUrl);
  const embedded = context.influxdbUrl.trim() === '';
  if (source === 'embedded' || (source === 'auto' && embedded && explicitUrl === undefined)) {
    if (!embedded) {
      throw new DashboardConfigError(
        `${DASHBOARD_ENV.source}=embedded, but INFLUXDB_URL is set, so the ingest stores nothing itself`,
      );
    }
    return { kind: 'embedded' };
  }
  const derived = embedded
    ? undefined
    : influxqlFromWriteUrl(context.influxdbUrl, context.influxdbToken);
  const url = explicitUrl ?? derived?.url;
  const database = read(env, DASHBOARD_ENV.database) ?? derived?.database;
  if (url === undefined || database === undefined) {
    throw new DashboardConfigError(
      `the dashboard needs ${DASHBOARD_ENV.influxdbUrl} and ${DASHBOARD_ENV.database} (they cannot be derived from INFLUXDB_URL), or ${DASHBOARD_ENV.source}=off`,
    );
  }
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new DashboardConfigError(
      `${DASHBOARD_ENV.influxdbUrl}=${JSON.stringify(url)}: expected an http or https URL`,
    );
  }
  const token = read(env, DASHBOARD_ENV.token) ?? derived?.token;
  const username = read(env, DASHBOARD_ENV.username) ?? derived?.username;
  const password = read(env, DASHBOARD_ENV.password) ?? derived?.password;
  const rp = read(env, DASHBOARD_ENV.retentionPolicy) ?? derived?.retentionPolicy;
  return {
    kind: 'influxql',
    options: {
      url,
      database,
      ...(rp ? { retentionPolicy: rp } : {}),
      ...(token ? { token } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    },
  };
}

import { ConfigError } from '../../config/config-error.js';
import { type Env, envValue } from '../../config/env.js';
import { envNames, type OptionSpec } from '../../config/option-table.js';
import { Problems } from '../../config/problems.js';
import { httpUrl, oneOf, text, type ValueKind } from '../../config/value-kinds.js';
import { isInfluxV1WriteUrl } from '../sinks/influx-v1.js';
import { isInfluxV2WriteUrl } from '../sinks/influx-v2.js';
import type { InfluxqlSourceOptions } from './influxql-source.js';

export const DASHBOARD_SOURCES = ['auto', 'embedded', 'influxql', 'off'] as const;
export type DashboardSourceName = (typeof DASHBOARD_SOURCES)[number];

const DERIVED = 'derived from INFLUXDB_URL';

/** The `DASHBOARD_*` variables: where the ingest's `/dashboard` reads from. */
export const DASHBOARD_VARIABLES = {
  source: {
    env: 'DASHBOARD_SOURCE',
    kind: oneOf(DASHBOARD_SOURCES),
    default: 'auto' as DashboardSourceName,
    help: 'auto: the embedded store when the ingest keeps the samples itself, else InfluxQL against the InfluxDB it writes to; off: no dashboard.',
  },
  influxdbUrl: {
    env: 'DASHBOARD_INFLUXDB_URL',
    kind: httpUrl(),
    default: undefined,
    defaultText: DERIVED,
    help: 'InfluxDB base URL whose /query the dashboard reads (for /api/v2/write, the v1 compatibility API, which needs a DBRP mapping).',
  },
  database: {
    env: 'DASHBOARD_INFLUXDB_DATABASE',
    kind: text,
    default: undefined,
    defaultText: DERIVED,
    help: 'Database to read (a v2 bucket db/rp maps to database db).',
  },
  retentionPolicy: {
    env: 'DASHBOARD_INFLUXDB_RP',
    kind: text,
    default: undefined,
    defaultText: DERIVED,
    help: 'Retention policy to read.',
  },
  token: {
    env: 'DASHBOARD_INFLUXDB_TOKEN',
    kind: text,
    default: undefined,
    defaultText: 'INFLUXDB_TOKEN',
    help: 'Token for the reads; a read-only one is enough.',
  },
  username: {
    env: 'DASHBOARD_INFLUXDB_USERNAME',
    kind: text,
    default: undefined,
    defaultText: 'u= of INFLUXDB_URL',
    help: 'InfluxDB 1.x user for the reads.',
  },
  password: {
    env: 'DASHBOARD_INFLUXDB_PASSWORD',
    kind: text,
    default: undefined,
    defaultText: 'p= of INFLUXDB_URL',
    help: 'InfluxDB 1.x password for the reads.',
  },
} satisfies Readonly<Record<string, OptionSpec<unknown>>>;

export const DASHBOARD_ENV = envNames(DASHBOARD_VARIABLES);

export type DashboardPlan =
  | { kind: 'embedded' }
  | { kind: 'influxql'; options: InfluxqlSourceOptions }
  | { kind: 'off'; reason: string };

export interface DashboardContext {
  /** The ingest's INFLUXDB_URL (empty: embedded store). */
  influxdbUrl: string;
  /** The ingest's INFLUXDB_TOKEN. */
  influxdbToken: string;
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

/**
 * Where the ingest's `/dashboard` reads from. Pure: returns a plan, the caller builds the source.
 * Default `auto`: the embedded store when the ingest stores samples itself, otherwise InfluxQL
 * against the InfluxDB that INFLUXDB_URL writes to (the `/query` next to its `/write`). Throws a
 * {@link ConfigError} listing every problem.
 */
export function dashboardPlanFromEnv(env: Env, context: DashboardContext): DashboardPlan {
  const problems = new Problems();
  const read = <T>(spec: { env: string; kind: ValueKind<T> }) =>
    problems.read(spec.kind, envValue(env, spec.env), spec.env);
  const v = DASHBOARD_VARIABLES;
  const source = read(v.source) ?? v.source.default;
  const explicitUrl = read(v.influxdbUrl);
  const plan = choosePlan(env, context, source, explicitUrl, problems);
  const result = problems.result(plan);
  if (!result.ok) throw new ConfigError(result.errors);
  return plan;
}

function choosePlan(
  env: Env,
  context: DashboardContext,
  source: DashboardSourceName,
  explicitUrl: string | undefined,
  problems: Problems,
): DashboardPlan {
  if (source === 'off') return { kind: 'off', reason: `${DASHBOARD_ENV.source}=off` };
  const embedded = context.influxdbUrl.trim() === '';
  if (source === 'embedded' || (source === 'auto' && embedded && explicitUrl === undefined)) {
    if (!embedded) {
      problems.add(
        `${DASHBOARD_ENV.source}=embedded, but INFLUXDB_URL is set, so the ingest stores nothing itself`,
      );
    }
    return { kind: 'embedded' };
  }
  const derived = embedded
    ? undefined
    : influxqlFromWriteUrl(context.influxdbUrl, context.influxdbToken);
  const v = DASHBOARD_VARIABLES;
  const read = (name: string) => envValue(env, name)?.trim();
  const url = explicitUrl ?? derived?.url;
  const database = read(v.database.env) ?? derived?.database;
  if (url === undefined || database === undefined) {
    // An explicit but invalid URL has been reported already.
    if (envValue(env, v.influxdbUrl.env) === undefined || database === undefined) {
      problems.add(
        `the dashboard needs ${DASHBOARD_ENV.influxdbUrl} and ${DASHBOARD_ENV.database} (they cannot be derived from INFLUXDB_URL), or ${DASHBOARD_ENV.source}=off`,
      );
    }
    return { kind: 'off', reason: 'invalid configuration' };
  }
  const token = read(v.token.env) ?? derived?.token;
  const username = read(v.username.env) ?? derived?.username;
  const password = read(v.password.env) ?? derived?.password;
  const rp = read(v.retentionPolicy.env) ?? derived?.retentionPolicy;
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

import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import type { Env } from '../config/env.js';
import {
  checkOptionTable,
  type OptionTable,
  optionRows,
  readOptionTable,
} from '../config/option-table.js';
import { Problems } from '../config/problems.js';
import {
  goBool,
  httpUrl,
  oneOf,
  text,
  type ValueKind,
  wholeNumber,
} from '../config/value-kinds.js';
import { isGoVersion } from '../protocol/version-range.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { DEFAULT_MAX_LINE_LENGTH } from './validate/validate.js';

export interface IngestOptions {
  listen: string;
  influxdbUrl: string;
  influxdbToken: string;
  dataDir: string;
  retentionDays: number;
  retentionBytes: number;
  storeDatabase: string;
  configServerUrl: string;
  configVersionSince: string;
  configVersionUntil: string;
  configPeriodMinutes: number;
  maxBodyBytes: number;
  maxDecodedBytes: number;
  maxLines: number;
  maxLineBytes: number;
  maxConcurrentRequests: number;
  maxInFlightBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  clientSharePercent: number;
  minBodyBytesPerSecond: number;
  bodyRateWindowMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  upstreamTimeoutMs: number;
  upstreamGzip: boolean;
  upstreamGzipMinBytes: number;
  groupCommitLingerMs: number;
  groupCommitMaxLines: number;
  groupCommitMaxBytes: number;
  groupCommitMaxWrites: number;
  retryAfterSeconds: number;
  peerRatePerMinute: number;
  peerBurst: number;
  addressRatePerMinute: number;
  addressBurst: number;
  rateLimitKeys: number;
  clientIpHeader: string;
  clientIpHops: number;
  logLevel: LogLevel;
}

export interface ListenAddress {
  /** Undefined: every interface. */
  readonly host: string | undefined;
  readonly port: number;
}

/** `host:port`, `:port`, `[v6]:port` (as Go's net.Listen takes them). */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? undefined : host, port };
}

const listen: ValueKind<string> = {
  expected: '[host]:port, e.g. :8087',
  parse: (t) => (parseListenAddress(t) === undefined ? undefined : t.trim()),
};

/** The clients' own rule: a value they would refuse makes every client stop pushing. */
const version: ValueKind<string> = {
  expected: 'a version such as 0.61.0',
  parse: (t) => (isGoVersion(t.trim()) ? t.trim() : undefined),
};

const configUrl = httpUrl({ allowEmpty: true });
const logLevel = oneOf(LOG_LEVELS);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Every setting of the ingest server, with its environment variable (the names of NetBird's Go
 * ingest where it has one, `INGEST_*` otherwise), its command-line flag, default and meaning.
 * Flags win over the environment; an empty variable counts as unset. Booleans use Go's
 * `strconv.ParseBool`, like every boolean of this package.
 */
export const INGEST_OPTIONS: OptionTable<IngestOptions> = {
  listen: {
    env: 'INGEST_LISTEN_ADDR',
    flag: 'listen',
    kind: listen,
    default: ':8087',
    help: 'Listen address, [host]:port; no host means every interface.',
  },
  influxdbUrl: {
    env: 'INFLUXDB_URL',
    flag: 'influxdb-url',
    kind: text,
    default: '',
    help: 'Where to forward: an InfluxDB 2.x/3.x or VictoriaMetrics .../api/v2/write?org=...&bucket=... URL, or an InfluxDB 1.x .../write?db=... URL. Empty: keep the data in the embedded store.',
  },
  influxdbToken: {
    env: 'INFLUXDB_TOKEN',
    kind: text,
    default: '',
    help: 'Token sent as "Authorization: Token ..."; required for /api/v2/write. Environment only.',
  },
  dataDir: {
    env: 'INGEST_DATA_DIR',
    flag: 'data-dir',
    kind: text,
    default: './netbird-metrics-data',
    help: 'Folder of the embedded store (daily metrics-YYYY-MM-DD.lp files).',
  },
  retentionDays: {
    env: 'INGEST_RETENTION_DAYS',
    flag: 'retention-days',
    kind: wholeNumber(0),
    default: 30,
    help: 'Embedded store: keep today and this many days before it.',
  },
  retentionBytes: {
    env: 'INGEST_RETENTION_BYTES',
    flag: 'retention-bytes',
    kind: wholeNumber(1),
    default: 5 * GiB,
    help: 'Embedded store: most bytes on disk; the oldest days go first.',
  },
  storeDatabase: {
    env: 'INGEST_STORE_DATABASE',
    flag: 'store-database',
    kind: text,
    default: 'netbird',
    help: 'Embedded store: database named in each file for `influx -import`.',
  },
  configServerUrl: {
    env: 'CONFIG_METRICS_SERVER_URL',
    flag: 'config-server-url',
    kind: configUrl,
    default: '',
    help: 'server_url served at /config; empty: /config answers 404.',
  },
  configVersionSince: {
    env: 'CONFIG_VERSION_SINCE',
    flag: 'config-version-since',
    kind: version,
    default: '0.0.0',
    help: 'version-since served at /config.',
  },
  configVersionUntil: {
    env: 'CONFIG_VERSION_UNTIL',
    flag: 'config-version-until',
    kind: version,
    default: '99.99.99',
    help: 'version-until served at /config.',
  },
  configPeriodMinutes: {
    env: 'CONFIG_PERIOD_MINUTES',
    flag: 'config-period-minutes',
    kind: wholeNumber(1),
    default: 5,
    help: 'period_minutes served at /config.',
  },
  maxBodyBytes: {
    env: 'INGEST_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    kind: wholeNumber(1),
    default: 50 * MiB,
    help: 'Largest request body as received; larger: 413.',
  },
  maxDecodedBytes: {
    env: 'INGEST_MAX_DECODED_BYTES',
    flag: 'max-decoded-bytes',
    kind: wholeNumber(1),
    default: 50 * MiB,
    help: 'Largest body after gunzip; larger: 413 (decompression stops there).',
  },
  maxLines: {
    env: 'INGEST_MAX_LINES',
    flag: 'max-lines',
    kind: wholeNumber(1),
    default: 1_000_000,
    help: 'Most lines in one body; more: 413.',
  },
  maxLineBytes: {
    env: 'INGEST_MAX_LINE_BYTES',
    flag: 'max-line-bytes',
    kind: wholeNumber(64),
    default: DEFAULT_MAX_LINE_LENGTH,
    help: 'Longest line; longer: 400.',
  },
  maxConcurrentRequests: {
    env: 'INGEST_MAX_CONCURRENT_REQUESTS',
    flag: 'max-concurrent-requests',
    kind: wholeNumber(1),
    default: 64,
    help: 'Ingest requests handled at once; more: 503 with Retry-After.',
  },
  maxInFlightBytes: {
    env: 'INGEST_MAX_IN_FLIGHT_BYTES',
    flag: 'max-in-flight-bytes',
    kind: wholeNumber(1),
    default: 256 * MiB,
    help: 'Body bytes held by all requests together (decoded, plus gzip kept for forwarding); more: 503 with Retry-After.',
  },
  maxConnections: {
    env: 'INGEST_MAX_CONNECTIONS',
    flag: 'max-connections',
    kind: wholeNumber(1),
    default: 4096,
    help: 'Open connections at most. At the limit the connection idle longest (kept alive, or yet to send a request) is closed to make room; when none is idle the new one is closed at once (but for a few from loopback, which are answered on /health only).',
  },
  maxConnectionsPerAddress: {
    env: 'INGEST_MAX_CONNECTIONS_PER_ADDRESS',
    flag: 'max-connections-per-address',
    kind: wholeNumber(0),
    default: 1024,
    help: 'Open connections one socket address may have (0: no limit); more are closed at once. Behind a load balancer every connection comes from it: set 0.',
  },
  clientSharePercent: {
    env: 'INGEST_CLIENT_SHARE_PERCENT',
    flag: 'client-share-percent',
    kind: wholeNumber(1, 100, 'a whole number from 1 to 100'),
    default: 25,
    help: 'Share of INGEST_MAX_CONCURRENT_REQUESTS (at least one) and of INGEST_MAX_IN_FLIGHT_BYTES (at least INGEST_MAX_DECODED_BYTES) one client address, and one peer, may hold at once; more: 503 with Retry-After.',
  },
  minBodyBytesPerSecond: {
    env: 'INGEST_MIN_BODY_BYTES_PER_SECOND',
    flag: 'min-body-bytes-per-second',
    kind: wholeNumber(0),
    default: 512,
    help: 'A push body arriving slower than this, on average over a window, is cut off with 408 (0: no floor; the request timeout still holds).',
  },
  bodyRateWindowMs: {
    env: 'INGEST_BODY_RATE_WINDOW_MS',
    flag: 'body-rate-window-ms',
    kind: wholeNumber(1),
    default: 10_000,
    help: 'The window INGEST_MIN_BODY_BYTES_PER_SECOND is measured over, from the end of the headers.',
  },
  headersTimeoutMs: {
    env: 'INGEST_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    kind: wholeNumber(1),
    default: 10_000,
    help: 'Time a client has to send the request headers.',
  },
  requestTimeoutMs: {
    env: 'INGEST_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    kind: wholeNumber(1),
    default: 60_000,
    help: 'Time a client has to send the whole request.',
  },
  keepAliveTimeoutMs: {
    env: 'INGEST_KEEPALIVE_TIMEOUT_MS',
    flag: 'keepalive-timeout-ms',
    kind: wholeNumber(1),
    default: 5_000,
    help: 'Idle time before a kept-alive connection is closed.',
  },
  shutdownTimeoutMs: {
    env: 'INGEST_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    kind: wholeNumber(0),
    default: 15_000,
    help: 'On SIGTERM/SIGINT, time in-flight requests get to finish.',
  },
  upstreamTimeoutMs: {
    env: 'INGEST_UPSTREAM_TIMEOUT_MS',
    flag: 'upstream-timeout-ms',
    kind: wholeNumber(1),
    default: 10_000,
    help: 'Time the database gets to answer a write; then 503.',
  },
  upstreamGzip: {
    env: 'INGEST_UPSTREAM_GZIP',
    flag: 'upstream-gzip',
    kind: goBool,
    default: true,
    help: 'Gzip writes to the database (InfluxDB 1.x limits bodies to 25 MB on the wire).',
  },
  upstreamGzipMinBytes: {
    env: 'INGEST_UPSTREAM_GZIP_MIN_BYTES',
    flag: 'upstream-gzip-min-bytes',
    kind: wholeNumber(0),
    default: 4 * MiB,
    help: "With gzip on, writes with fewer bytes of lines go plain: InfluxDB spends less CPU on plain writes, so lower it only where the link to the database is slow. From this size on the clients' own gzip is passed through where it stands for their lines.",
  },
  groupCommitLingerMs: {
    env: 'INGEST_GROUP_COMMIT_LINGER_MS',
    flag: 'group-commit-linger-ms',
    kind: wholeNumber(0),
    default: 2,
    help: 'Concurrent pushes are written to the database as one write; a push waits at most this long for others to join it (0: each push is its own write). Each client is still answered only once its lines are stored.',
  },
  groupCommitMaxLines: {
    env: 'INGEST_GROUP_COMMIT_MAX_LINES',
    flag: 'group-commit-max-lines',
    kind: wholeNumber(1),
    default: 20_000,
    help: 'A combined write is sent once it holds this many lines.',
  },
  groupCommitMaxBytes: {
    env: 'INGEST_GROUP_COMMIT_MAX_BYTES',
    flag: 'group-commit-max-bytes',
    kind: wholeNumber(1),
    default: 4 * MiB,
    help: 'A combined write is sent once it holds this many bytes of line protocol.',
  },
  groupCommitMaxWrites: {
    env: 'INGEST_GROUP_COMMIT_MAX_WRITES',
    flag: 'group-commit-max-writes',
    kind: wholeNumber(1),
    default: 2,
    help: 'Combined writes in flight to the database at most; while that many are, the next one keeps taking pushes (up to the bounds) past its linger. Two keep one write on the wire while the next is answered; more make smaller writes that cost the database more per line.',
  },
  retryAfterSeconds: {
    env: 'INGEST_RETRY_AFTER_SECONDS',
    flag: 'retry-after-seconds',
    kind: wholeNumber(1),
    default: 30,
    help: 'Retry-After sent with 503 when the database did not say.',
  },
  peerRatePerMinute: {
    env: 'INGEST_PEER_RATE_PER_MINUTE',
    flag: 'peer-rate-per-minute',
    kind: wholeNumber(0),
    default: 6,
    help: 'Requests per minute per X-Peer-ID (0: no limit); more: 429.',
  },
  peerBurst: {
    env: 'INGEST_PEER_BURST',
    flag: 'peer-burst',
    kind: wholeNumber(1),
    default: 10,
    help: 'Requests a peer may send at once.',
  },
  addressRatePerMinute: {
    env: 'INGEST_ADDRESS_RATE_PER_MINUTE',
    flag: 'address-rate-per-minute',
    kind: wholeNumber(0),
    default: 0,
    help: 'Requests per minute per client address (0: no limit); more: 429. Off by default: a whole fleet can sit behind one NAT, and the per-peer limit and INGEST_CLIENT_SHARE_PERCENT already bound one address.',
  },
  addressBurst: {
    env: 'INGEST_ADDRESS_BURST',
    flag: 'address-burst',
    kind: wholeNumber(1),
    default: 200,
    help: 'Requests an address may send at once.',
  },
  rateLimitKeys: {
    env: 'INGEST_RATE_LIMIT_KEYS',
    flag: 'rate-limit-keys',
    kind: wholeNumber(1),
    default: 100_000,
    help: 'Peers and addresses remembered by each rate limiter.',
  },
  clientIpHeader: {
    env: 'INGEST_CLIENT_IP_HEADER',
    flag: 'client-ip-header',
    kind: text,
    default: '',
    help: 'Behind a load balancer: header with the client address, e.g. X-Forwarded-For. Only an IP address at INGEST_CLIENT_IP_HOPS from the right of a value of at most 256 bytes is used; anything else counts as the socket address.',
  },
  clientIpHops: {
    env: 'INGEST_CLIENT_IP_HOPS',
    flag: 'client-ip-hops',
    kind: wholeNumber(1),
    default: 1,
    help: 'Proxies of yours that append to INGEST_CLIENT_IP_HEADER: the client address is the entry this many from the right (1: the one load balancer in front).',
  },
  logLevel: {
    env: 'INGEST_LOG_LEVEL',
    flag: 'log-level',
    kind: logLevel,
    default: 'info',
    help: `Least important log level written: ${LOG_LEVELS.join(', ')}.`,
  },
};

export const DEFAULT_OPTIONS: Readonly<IngestOptions> = Object.freeze(
  Object.fromEntries(
    Object.entries(INGEST_OPTIONS).map(([key, spec]) => [key, spec.default]),
  ) as unknown as IngestOptions,
);

/**
 * Options from the environment and the command line. `help` is true when `--help`/`-h` was
 * given (print {@link helpText} and exit). Throws a {@link ConfigError} listing every bad
 * variable and flag.
 */
export function resolveOptions(
  env: Env,
  argv: readonly string[],
): { options: IngestOptions; help: boolean } {
  const flags = Object.values(INGEST_OPTIONS).flatMap((s) =>
    s.flag === undefined ? [] : [s.flag],
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
  const problems = new Problems();
  const options = readOptionTable(INGEST_OPTIONS, env, parsed.values, problems);
  checkRules(options, problems);
  const result = problems.result(options);
  if (!result.ok) throw new ConfigError(result.errors);
  return { options, help: parsed.values.help === true };
}

/**
 * Checks options given in code (createIngestServer) the same way as parsed ones, plus the rules
 * between options. Throws a {@link ConfigError} whose problems name each option and its variable.
 */
export function checkOptions(options: IngestOptions): void {
  const problems = new Problems();
  checkOptionTable(INGEST_OPTIONS, options, problems);
  if (problems.size === 0) checkRules(options, problems);
  const result = problems.result(options);
  if (!result.ok) throw new ConfigError(result.errors);
}

function checkRules(options: IngestOptions, problems: Problems): void {
  if (options.maxInFlightBytes < options.maxDecodedBytes) {
    problems.add(
      `maxInFlightBytes (INGEST_MAX_IN_FLIGHT_BYTES): ${options.maxInFlightBytes} is less than maxDecodedBytes (INGEST_MAX_DECODED_BYTES) ${options.maxDecodedBytes}, so the largest allowed body could never be taken`,
    );
  }
  if (options.headersTimeoutMs > options.requestTimeoutMs) {
    problems.add(
      `headersTimeoutMs (INGEST_HEADERS_TIMEOUT_MS): ${options.headersTimeoutMs} is more than requestTimeoutMs (INGEST_REQUEST_TIMEOUT_MS) ${options.requestTimeoutMs}`,
    );
  }
}

export function helpText(): string {
  const lines = [
    'Usage: netbird-metrics-ingest [options]',
    '',
    'Receives NetBird client metrics pushes (InfluxDB line protocol, optionally gzipped), checks',
    'every line against the schema, and stores them: in InfluxDB 1.x/2.x/3.x or VictoriaMetrics',
    '(INFLUXDB_URL), or in the embedded store. Endpoints: POST any path (ingest), GET /health,',
    'GET /config, GET /metrics. Every option can also be set through its environment variable;',
    'a flag wins over the variable.',
    '',
    'Options:',
  ];
  for (const row of optionRows(INGEST_OPTIONS)) {
    const flag = row.flag === undefined ? '(environment only)' : `--${row.flag} <value>`;
    lines.push(`  ${flag.padEnd(34)} ${row.env}`);
    lines.push(`      ${row.help} Default: ${row.default}.`);
  }
  lines.push(`  ${'-h, --help'.padEnd(34)} Show this text.`);
  return `${lines.join('\n')}\n`;
}

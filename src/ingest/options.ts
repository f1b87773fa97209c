import { parseArgs } from 'node:util';
import { isGoVersion } from '../protocol/version-range.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { DEFAULT_MAX_LINE_LENGTH } from './validate/validate.js';

/**
 * Every setting of the ingest server, with its environment variable (the reference's names
 * where it has one, `INGEST_*` otherwise), its command-line flag, default and meaning. Flags
 * win over the environment; an empty variable counts as unset. A value that does not parse is an
 * {@link OptionError} naming the variable or flag, never a silent default.
 */

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
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  upstreamTimeoutMs: number;
  upstreamGzip: boolean;
  retryAfterSeconds: number;
  peerRatePerMinute: number;
  peerBurst: number;
  addressRatePerMinute: number;
  addressBurst: number;
  rateLimitKeys: number;
  clientIpHeader: string;
  logLevel: LogLevel;
}

type Kind = 'text' | 'http-url' | 'version' | 'integer' | 'boolean' | 'log-level' | 'listen';

export interface OptionSpec {
  readonly key: keyof IngestOptions;
  readonly env: string;
  /** Command-line flag without dashes; none for secrets (they would show in `ps`). */
  readonly flag?: string;
  readonly kind: Kind;
  /** Smallest allowed value of an integer. */
  readonly min?: number;
  readonly default: string | number | boolean;
  readonly help: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: 'listen',
    env: 'INGEST_LISTEN_ADDR',
    flag: 'listen',
    kind: 'listen',
    default: ':8087',
    help: 'Listen address, [host]:port; no host means every interface.',
  },
  {
    key: 'influxdbUrl',
    env: 'INFLUXDB_URL',
    flag: 'influxdb-url',
    kind: 'text',
    default: '',
    help: 'Where to forward: an InfluxDB 2.x/3.x or VictoriaMetrics .../api/v2/write?org=...&bucket=... URL, or an InfluxDB 1.x .../write?db=... URL. Empty: keep the data in the embedded store.',
  },
  {
    key: 'influxdbToken',
    env: 'INFLUXDB_TOKEN',
    kind: 'text',
    default: '',
    help: 'Token sent as "Authorization: Token ..."; required for /api/v2/write. Environment only.',
  },
  {
    key: 'dataDir',
    env: 'INGEST_DATA_DIR',
    flag: 'data-dir',
    kind: 'text',
    default: './netbird-metrics-data',
    help: 'Folder of the embedded store (daily metrics-YYYY-MM-DD.lp files).',
  },
  {
    key: 'retentionDays',
    env: 'INGEST_RETENTION_DAYS',
    flag: 'retention-days',
    kind: 'integer',
    min: 0,
    default: 30,
    help: 'Embedded store: keep today and this many days before it.',
  },
  {
    key: 'retentionBytes',
    env: 'INGEST_RETENTION_BYTES',
    flag: 'retention-bytes',
    kind: 'integer',
    min: 1,
    default: 5 * GiB,
    help: 'Embedded store: most bytes on disk; the oldest days go first.',
  },
  {
    key: 'storeDatabase',
    env: 'INGEST_STORE_DATABASE',
    flag: 'store-database',
    kind: 'text',
    default: 'netbird',
    help: 'Embedded store: database named in each file for `influx -import`.',
  },
  {
    key: 'configServerUrl',
    env: 'CONFIG_METRICS_SERVER_URL',
    flag: 'config-server-url',
    kind: 'http-url',
    default: '',
    help: 'server_url served at /config; empty: /config answers 404.',
  },
  {
    key: 'configVersionSince',
    env: 'CONFIG_VERSION_SINCE',
    flag: 'config-version-since',
    kind: 'version',
    default: '0.0.0',
    help: 'version-since served at /config.',
  },
  {
    key: 'configVersionUntil',
    env: 'CONFIG_VERSION_UNTIL',
    flag: 'config-version-until',
    kind: 'version',
    default: '99.99.99',
    help: 'version-until served at /config.',
  },
  {
    key: 'configPeriodMinutes',
    env: 'CONFIG_PERIOD_MINUTES',
    flag: 'config-period-minutes',
    kind: 'integer',
    min: 1,
    default: 5,
    help: 'period_minutes served at /config.',
  },
  {
    key: 'maxBodyBytes',
    env: 'INGEST_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    kind: 'integer',
    min: 1,
    default: 50 * MiB,
    help: 'Largest request body as received; larger: 413.',
  },
  {
    key: 'maxDecodedBytes',
    env: 'INGEST_MAX_DECODED_BYTES',
    flag: 'max-decoded-bytes',
    kind: 'integer',
    min: 1,
    default: 50 * MiB,
    help: 'Largest body after gunzip; larger: 413 (decompression stops there).',
  },
  {
    key: 'maxLines',
    env: 'INGEST_MAX_LINES',
    flag: 'max-lines',
    kind: 'integer',
    min: 1,
    default: 1_000_000,
    help: 'Most lines in one body; more: 413.',
  },
  {
    key: 'maxLineBytes',
    env: 'INGEST_MAX_LINE_BYTES',
    flag: 'max-line-bytes',
    kind: 'integer',
    min: 64,
    default: DEFAULT_MAX_LINE_LENGTH,
    help: 'Longest line; longer: 400.',
  },
  {
    key: 'maxConcurrentRequests',
    env: 'INGEST_MAX_CONCURRENT_REQUESTS',
    flag: 'max-concurrent-requests',
    kind: 'integer',
    min: 1,
    default: 64,
    help: 'Ingest requests handled at once; more: 503 with Retry-After.',
  },
  {
    key: 'maxInFlightBytes',
    env: 'INGEST_MAX_IN_FLIGHT_BYTES',
    flag: 'max-in-flight-bytes',
    kind: 'integer',
    min: 1,
    default: 256 * MiB,
    help: 'Body bytes held by all requests together (decoded, plus gzip kept for forwarding); more: 503 with Retry-After.',
  },
  {
    key: 'maxConnections',
    env: 'INGEST_MAX_CONNECTIONS',
    flag: 'max-connections',
    kind: 'integer',
    min: 1,
    default: 4096,
    help: 'Open connections at most; more are closed at once.',
  },
  {
    key: 'headersTimeoutMs',
    env: 'INGEST_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    kind: 'integer',
    min: 1,
    default: 10_000,
    help: 'Time a client has to send the request headers.',
  },
  {
    key: 'requestTimeoutMs',
    env: 'INGEST_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    kind: 'integer',
    min: 1,
    default: 60_000,
    help: 'Time a client has to send the whole request.',
  },
  {
    key: 'keepAliveTimeoutMs',
    env: 'INGEST_KEEPALIVE_TIMEOUT_MS',
    flag: 'keepalive-timeout-ms',
    kind: 'integer',
    min: 1,
    default: 5_000,
    help: 'Idle time before a kept-alive connection is closed.',
  },
  {
    key: 'shutdownTimeoutMs',
    env: 'INGEST_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    kind: 'integer',
    min: 0,
    default: 15_000,
    help: 'On SIGTERM/SIGINT, time in-flight requests get to finish.',
  },
  {
    key: 'upstreamTimeoutMs',
    env: 'INGEST_UPSTREAM_TIMEOUT_MS',
    flag: 'upstream-timeout-ms',
    kind: 'integer',
    min: 1,
    default: 10_000,
    help: 'Time the database gets to answer a write; then 503.',
  },
  {
    key: 'upstreamGzip',
    env: 'INGEST_UPSTREAM_GZIP',
    flag: 'upstream-gzip',
    kind: 'boolean',
    default: true,
    help: 'Gzip writes to the database (InfluxDB 1.x limits bodies to 25 MB on the wire).',
  },
  {
    key: 'retryAfterSeconds',
    env: 'INGEST_RETRY_AFTER_SECONDS',
    flag: 'retry-after-seconds',
    kind: 'integer',
    min: 1,
    default: 30,
    help: 'Retry-After sent with 503 when the database did not say.',
  },
  {
    key: 'peerRatePerMinute',
    env: 'INGEST_PEER_RATE_PER_MINUTE',
    flag: 'peer-rate-per-minute',
    kind: 'integer',
    min: 0,
    default: 6,
    help: 'Requests per minute per X-Peer-ID (0: no limit); more: 429.',
  },
  {
    key: 'peerBurst',
    env: 'INGEST_PEER_BURST',
    flag: 'peer-burst',
    kind: 'integer',
    min: 1,
    default: 10,
    help: 'Requests a peer may send at once.',
  },
  {
    key: 'addressRatePerMinute',
    env: 'INGEST_ADDRESS_RATE_PER_MINUTE',
    flag: 'address-rate-per-minute',
    kind: 'integer',
    min: 0,
    default: 600,
    help: 'Requests per minute per client address (0: no limit); more: 429.',
  },
  {
    key: 'addressBurst',
    env: 'INGEST_ADDRESS_BURST',
    flag: 'address-burst',
    kind: 'integer',
    min: 1,
    default: 200,
    help: 'Requests an address may send at once.',
  },
  {
    key: 'rateLimitKeys',
    env: 'INGEST_RATE_LIMIT_KEYS',
    flag: 'rate-limit-keys',
    kind: 'integer',
    min: 1,
    default: 100_000,
    help: 'Peers and addresses remembered by each rate limiter.',
  },
  {
    key: 'clientIpHeader',
    env: 'INGEST_CLIENT_IP_HEADER',
    flag: 'client-ip-header',
    kind: 'text',
    default: '',
    help: 'Behind a load balancer: header with the client address (its last entry is used), e.g. X-Forwarded-For.',
  },
  {
    key: 'logLevel',
    env: 'INGEST_LOG_LEVEL',
    flag: 'log-level',
    kind: 'log-level',
    default: 'info',
    help: `Least important log level written: ${LOG_LEVELS.join(', ')}.`,
  },
];

export const DEFAULT_OPTIONS: Readonly<IngestOptions> = Object.freeze(
  Object.fromEntries(OPTION_SPECS.map((s) => [s.key, s.default])) as unknown as IngestOptions,
);

export class OptionError extends Error {
  override name = 'OptionError';
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

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Parses one option's text; throws an {@link OptionError} that names `source`. */
function parseValue(spec: OptionSpec, text: string, source: string): string | number | boolean {
  const bad = (expected: string) =>
    new OptionError(`invalid ${source}: expected ${expected}, got ${JSON.stringify(text)}`);
  switch (spec.kind) {
    case 'integer': {
      const t = text.trim();
      const n = Number(t);
      if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < (spec.min ?? 0)) {
        throw bad(`a whole number >= ${spec.min ?? 0}`);
      }
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw bad('true or false');
    }
    case 'log-level':
      if (!(LOG_LEVELS as readonly string[]).includes(text.trim())) {
        throw bad(`one of ${LOG_LEVELS.join(', ')}`);
      }
      return text.trim();
    case 'listen':
      if (parseListenAddress(text) === undefined) throw bad('[host]:port, e.g. :8087');
      return text.trim();
    case 'version':
      // The clients' own rule: a value they would refuse makes every client stop pushing.
      if (!isGoVersion(text.trim())) throw bad('a version such as 0.61.0');
      return text.trim();
    case 'http-url': {
      const t = text.trim();
      if (t === '') return '';
      let url: URL | undefined;
      try {
        url = new URL(t);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw bad('an http(s) URL');
      }
      return t;
    }
    case 'text':
      return text;
  }
}

/**
 * Options from the environment and the command line. `help` is true when `--help`/`-h` was
 * given (print {@link helpText} and exit).
 */
export function resolveOptions(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): { options: IngestOptions; help: boolean } {
  const flagSpecs = OPTION_SPECS.filter((s) => s.flag !== undefined);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(flagSpecs.map((s) => [s.flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new OptionError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const options: Record<string, string | number | boolean> = { ...DEFAULT_OPTIONS };
  for (const spec of OPTION_SPECS) {
    const fromFlag = spec.flag === undefined ? undefined : values[spec.flag];
    if (typeof fromFlag === 'string') {
      options[spec.key] = parseValue(spec, fromFlag, `--${spec.flag}`);
      continue;
    }
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') {
      options[spec.key] = parseValue(spec, fromEnv, spec.env);
    }
  }
  const result = options as unknown as IngestOptions;
  checkOptions(result);
  return { options: result, help: values.help === true };
}

/**
 * Checks options given in code (createIngestServer) the same way as parsed ones, plus the rules
 * between options. Errors name the option and its environment variable.
 */
export function checkOptions(options: IngestOptions): void {
  for (const spec of OPTION_SPECS) {
    const value = options[spec.key];
    const source = `${spec.key} (${spec.env})`;
    const expected = typeof spec.default;
    if (typeof value !== expected) {
      throw new OptionError(`invalid ${source}: expected a ${expected}, got ${typeof value}`);
    }
    if (typeof value !== 'boolean') parseValue(spec, String(value), source);
  }
  if (options.maxInFlightBytes < options.maxDecodedBytes) {
    throw new OptionError(
      `invalid maxInFlightBytes (INGEST_MAX_IN_FLIGHT_BYTES): ${options.maxInFlightBytes} is less than maxDecodedBytes (INGEST_MAX_DECODED_BYTES) ${options.maxDecodedBytes}, so the largest allowed body could never be taken`,
    );
  }
  if (options.headersTimeoutMs > options.requestTimeoutMs) {
    throw new OptionError(
      `invalid headersTimeoutMs (INGEST_HEADERS_TIMEOUT_MS): ${options.headersTimeoutMs} is more than requestTimeoutMs (INGEST_REQUEST_TIMEOUT_MS) ${options.requestTimeoutMs}`,
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
  for (const spec of OPTION_SPECS) {
    const flag = spec.flag === undefined ? '(environment only)' : `--${spec.flag} <value>`;
    const shown = spec.default === '' ? '(empty)' : String(spec.default);
    lines.push(`  ${flag.padEnd(34)} ${spec.env}`);
    lines.push(`      ${spec.help} Default: ${shown}.`);
  }
  lines.push(`  ${'-h, --help'.padEnd(34)} Show this text.`);
  return `${lines.join('\n')}\n`;
}

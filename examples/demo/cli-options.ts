// Command-line options of the demo (`npm start -- --peers 1000 --duration 20`). Pure.
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** Simulated NetBird clients. */
  peers: number;
  /** Wall-clock seconds the simulation runs. */
  durationSeconds: number;
  /** Minutes of simulated fleet activity played in that time, ending now. */
  windowMinutes: number;
  seed: number;
  /** Keep the ingest server and its dashboard running after the summary (until Ctrl-C). */
  serve: boolean;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the ingest's embedded store keeps its files. */
  dataDir: string;
  /** How often each client pushes (NB_METRICS_INTERVAL), in seconds. */
  pushIntervalSeconds: number;
}

export const DEMO_DEFAULTS: DemoOptions = {
  peers: 300,
  durationSeconds: 12,
  windowMinutes: 30,
  seed: 1,
  serve: false,
  host: '127.0.0.1',
  port: 0,
  dataDir: '.tmp/demo-store',
  pushIntervalSeconds: 2,
};

export const USAGE = `Usage: npm start -- [options]

Simulates a NetBird fleet whose clients push their metrics, exactly as NetBird clients do,
into a local ingest server with an embedded store; prints a summary read back from the store,
and with --serve the URL of the built-in dashboard, which stays up until Ctrl-C.

Options:
  --peers <n>           simulated clients (default ${DEMO_DEFAULTS.peers})
  --duration <s>        seconds the simulation runs (default ${DEMO_DEFAULTS.durationSeconds})
  --window <min>        minutes of fleet activity it plays, ending now (default ${DEMO_DEFAULTS.windowMinutes})
  --seed <n>            random seed; the same seed gives the same fleet (default ${DEMO_DEFAULTS.seed})
  --serve               keep the ingest and its dashboard up after the run (Ctrl-C stops)
  --host <addr>         listen address of the ingest (default ${DEMO_DEFAULTS.host})
  --port <n>            listen port of the ingest, 0 for a free one (default ${DEMO_DEFAULTS.port})
  --data-dir <path>     embedded store folder, emptied first (default ${DEMO_DEFAULTS.dataDir})
  --push-interval <s>   how often each client pushes (default ${DEMO_DEFAULTS.pushIntervalSeconds})
  -h, --help            this text

Environment:
  NB_METRICS_EXPORTER   influx (default: push to the ingest), otlp, prometheus, console, none,
                        or a comma list; OTEL_* variables configure otlp and prometheus.
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function number(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  check: (n: number) => boolean,
  expected: string,
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`--${name} ${JSON.stringify(text)}: expected ${expected}`);
  }
  return n;
}

/** Returns the options, or `'help'`; throws a UsageError naming the bad flag. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        peers: { type: 'string' },
        duration: { type: 'string' },
        window: { type: 'string' },
        seed: { type: 'string' },
        serve: { type: 'boolean' },
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'push-interval': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  const d = DEMO_DEFAULTS;
  const int = (n: number) => Number.isInteger(n);
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir.trim() === '')) {
    throw new UsageError('--data-dir: expected a folder path');
  }
  const options: DemoOptions = {
    peers: number(
      values,
      'peers',
      d.peers,
      (n) => int(n) && n >= 2 && n <= 20_000,
      'an integer from 2 to 20000',
    ),
    durationSeconds: number(
      values,
      'duration',
      d.durationSeconds,
      (n) => n >= 1 && n <= 3600,
      'seconds from 1 to 3600',
    ),
    windowMinutes: number(
      values,
      'window',
      d.windowMinutes,
      (n) => n >= 1 && n <= 7 * 24 * 60,
      'minutes from 1 to 10080',
    ),
    seed: number(values, 'seed', d.seed, int, 'an integer'),
    serve: values.serve === true,
    host: typeof values.host === 'string' ? values.host : d.host,
    port: number(
      values,
      'port',
      d.port,
      (n) => int(n) && n >= 0 && n <= 65535,
      'a port from 0 to 65535',
    ),
    dataDir: typeof dataDir === 'string' ? dataDir : d.dataDir,
    pushIntervalSeconds: number(
      values,
      'push-interval',
      d.pushIntervalSeconds,
      (n) => n >= 0.1 && n <= 3600,
      'seconds from 0.1 to 3600',
    ),
  };
  // The window is played faster than real time (or at it), so no sample is stamped in the future.
  if (options.windowMinutes * 60 < options.durationSeconds) {
    throw new UsageError(
      `--window ${options.windowMinutes} min is shorter than --duration ${options.durationSeconds} s; the window must be at least as long as the run`,
    );
  }
  return options;
}

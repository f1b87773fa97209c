// Starts the real servers the integration tests talk to (InfluxDB 1.6, VictoriaMetrics 1.112,
// Prometheus), each on a free loopback port with its own data folder, and stops them again.
// Installed by scripts/install-backends.sh from Debian packages; the flags each one starts with
// are in its server spec below.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RunningServer {
  /** Which backend this is, for messages. */
  readonly name: string;
  /** Base URL, no trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** PID of the current process; changes on restart. */
  readonly pid: number;
  /** The last output lines of the server (bounded), for error messages. */
  logTail(): string;
  /** Stops the server, keeping port and data so restart() can bring it back. `force` skips the graceful SIGTERM. */
  stop(options?: { force?: boolean }): Promise<void>;
  /** Stops the server if it runs, then starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server and removes its data folder if this module created it. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Data folder to use (kept on dispose); a fresh temporary one otherwise (removed on dispose). */
  dataDir?: string;
  /** Loopback HTTP port; a free one otherwise. */
  port?: number;
  /** Bound on waiting for readiness (default 15 s); the server is killed when it passes. */
  readyTimeoutMs?: number;
  /** Bound on a graceful stop before SIGKILL (default 8 s). */
  stopGraceMs?: number;
  /** Extra environment, e.g. `INFLUXDB_DATA_MAX_VALUES_PER_TAG` (InfluxDB reads its settings from it). */
  env?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions extends StartOptions {
  /** `host:port` scrape targets (path /metrics) of the job `netbird`. */
  targets: string[];
}

/** Shown whenever a binary is missing, so the fix is one command away. */
export const INSTALL_HINT = 'run `bash scripts/install-backends.sh` as root (npm test does this)';

/** Where scripts/install-backends.sh extracts VictoriaMetrics 1.112 (same env override as the script). */
export const VICTORIA_METRICS_BIN =
  process.env.VICTORIA_METRICS_BIN ??
  join(
    process.env.NETBIRD_BACKENDS_CACHE ?? '/opt/netbird-otel-metrics',
    'vm-1.112/usr/bin/victoria-metrics',
  );

// Servers are ready in under 0.1 s here; the bounds only stop a broken start from hanging a run.
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 20;
// InfluxDB, VictoriaMetrics and Prometheus need up to about 2 s to stop after writes.
const STOP_GRACE_MS = 8_000;
const KILL_WAIT_MS = 2_000;
const LOG_TAIL_BYTES = 16 * 1024;

export class BackendMissingError extends Error {
  override name = 'BackendMissingError';
}

/** Keeps only the last `limit` bytes of a process's output. */
export class BoundedLog {
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(readonly limit: number = LOG_TAIL_BYTES) {}

  append(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.limit && this.#chunks.length > 0) {
      const first = this.#chunks[0] as Buffer;
      const excess = this.#size - this.limit;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  get size(): number {
    return this.#size;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Absolute path of an executable: `name` itself if it contains a slash, else found on PATH. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

function requireExecutable(name: string, what: string): string {
  const path = findExecutable(name);
  if (path === undefined) {
    throw new BackendMissingError(`${what} not found (${name}); ${INSTALL_HINT}`);
  }
  return path;
}

// Ports handed out by this process, so two calls never return the same port even though each
// is released before the server binds it.
const handedOut = new Set<number>();

/** `count` distinct free loopback ports, found by binding 127.0.0.1:0 (all at once) and releasing them. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
          const address = server.address();
          if (address === null || typeof address === 'string') {
            reject(new Error('no TCP address for a loopback listener'));
          } else {
            resolve(address.port);
          }
        });
      });
      if (!handedOut.has(port)) {
        handedOut.add(port);
        ports.push(port);
      }
    }
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('freePorts(1) returned no port');
  return port;
}

// Every child still running when this process exits is killed, and every temporary data folder
// this module created is removed. Children also get SIGKILL from the kernel if this process dies
// without running exit handlers (setpriv --pdeathsig, see spawnServer).
const liveChildren = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Resolves with the status code of a GET, or undefined when the server does not answer. */
function probe(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    // agent: false and Connection: close so no keep-alive socket outlives the probe.
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ServerSpec {
  name: string;
  binary: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Path answering 2xx once the server is ready. */
  readyPath: string;
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
  exitInfo(): string | undefined;
}

function spawnServer(spec: ServerSpec, log: BoundedLog): Spawned {
  installExitHook();
  // setpriv (util-linux, present on every Debian) makes the kernel SIGKILL the server when this
  // process dies, even by SIGKILL; it execs the server, so the PID stays the same.
  const setpriv = findExecutable('setpriv');
  const [command, args] =
    setpriv === undefined
      ? [spec.binary, spec.args]
      : [setpriv, ['--pdeathsig', 'KILL', '--', spec.binary, ...spec.args]];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  let info: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      info = `failed to start: ${err.message}`;
      liveChildren.delete(child);
      resolve();
    });
    child.once('exit', (code, signal) => {
      info = signal === null ? `exited with code ${code}` : `killed by ${signal}`;
      liveChildren.delete(child);
      resolve();
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => log.append(chunk));
    // Neither the pipes nor the child keep the test process alive; the exit hook kills it.
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  child.unref();
  return { child, exited, exitInfo: () => info };
}

async function waitReady(
  spec: ServerSpec,
  url: string,
  spawned: Spawned,
  log: BoundedLog,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  while (true) {
    const status = await probe(`${url}${spec.readyPath}`, 1_000);
    if (status !== undefined && status >= 200 && status < 300) return;
    if (exited) {
      throw new Error(
        `${spec.name} ${spawned.exitInfo() ?? 'exited'} before it was ready on ${url}\n--- log tail ---\n${log.text()}`,
      );
    }
    if (Date.now() >= deadline) {
      await stopChild(spawned, 0);
      throw new Error(
        `${spec.name} not ready on ${url}${spec.readyPath} after ${timeoutMs} ms (last status ${status ?? 'no answer'}; pid ${spawned.child.pid} killed)\n--- log tail ---\n${log.text()}`,
      );
    }
    await delay(READY_POLL_MS);
  }
}

/** SIGTERM, then SIGKILL once `graceMs` has passed (at once for 0). */
async function stopChild(spawned: Spawned, graceMs: number): Promise<void> {
  if (spawned.exitInfo() !== undefined) return;
  const waitExit = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void spawned.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  if (graceMs > 0) {
    spawned.child.kill('SIGTERM');
    if (await waitExit(graceMs)) return;
  }
  spawned.child.kill('SIGKILL');
  if (!(await waitExit(KILL_WAIT_MS))) {
    throw new Error(`process ${spawned.child.pid} did not exit after SIGKILL`);
  }
}

async function startServer(
  opts: StartOptions,
  prefix: string,
  build: (port: number, dataDir: string) => Promise<ServerSpec>,
): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), `nbom-${prefix}-`)));
  if (ownsDir) {
    installExitHook();
    ownedDirs.add(dataDir);
  }
  const url = `http://127.0.0.1:${port}`;
  const spec = await build(port, dataDir);
  const log = new BoundedLog();
  let current: Spawned | undefined;

  const launch = async () => {
    const spawned = spawnServer(spec, log);
    current = spawned;
    await waitReady(spec, url, spawned, log, opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  };
  const stop = async (options?: { force?: boolean }) => {
    if (current === undefined) return;
    await stopChild(current, options?.force ? 0 : (opts.stopGraceMs ?? STOP_GRACE_MS));
    current = undefined;
  };

  try {
    await launch();
  } catch (err) {
    if (ownsDir) {
      ownedDirs.delete(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    }
    throw err;
  }

  return {
    name: spec.name,
    url,
    port,
    dataDir,
    get pid() {
      return current?.child.pid ?? -1;
    },
    logTail: () => log.text(),
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      if (ownsDir) {
        await rm(dataDir, { recursive: true, force: true });
        ownedDirs.delete(dataDir);
      }
    },
  };
}

/** InfluxDB 1.6 (`influxd`), configured by environment only, HTTP and RPC on loopback. */
export async function startInfluxDB(opts: StartOptions = {}): Promise<RunningServer> {
  const binary = requireExecutable('influxd', 'InfluxDB 1.6');
  return startServer(opts, 'influx', async (port, dataDir) => {
    // The RPC (backup) listener needs a port too; it stays the same across restarts.
    const rpcPort = await freePort();
    return {
      name: 'InfluxDB',
      binary,
      args: ['run', '-config', '/dev/null'],
      cwd: dataDir,
      readyPath: '/ping',
      env: {
        ...process.env,
        INFLUXDB_REPORTING_DISABLED: 'true',
        INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
        INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${port}`,
        INFLUXDB_META_DIR: join(dataDir, 'meta'),
        INFLUXDB_DATA_DIR: join(dataDir, 'data'),
        INFLUXDB_DATA_WAL_DIR: join(dataDir, 'wal'),
        INFLUXDB_MONITOR_STORE_ENABLED: 'false',
        INFLUXDB_HTTP_LOG_ENABLED: 'false',
        INFLUXDB_DATA_QUERY_LOG_ENABLED: 'false',
        ...opts.env,
      },
    };
  });
}

/** VictoriaMetrics 1.112 (OTLP-capable build), keeping old timestamps and answering with fresh data. */
export async function startVictoriaMetrics(opts: StartOptions = {}): Promise<RunningServer> {
  const binary = requireExecutable(VICTORIA_METRICS_BIN, 'VictoriaMetrics 1.112');
  return startServer(opts, 'vm', async (port, dataDir) => ({
    name: 'VictoriaMetrics',
    binary,
    args: [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dataDir, 'storage')}`,
      // Tests write fixed timestamps from years ago; the default 1 month would drop them silently.
      '-retentionPeriod=100y',
      // Without these, queries hide the last minute and may answer from a stale result cache.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      // OTLP metric names as Prometheus names (`netbird_peer_connection_duration_seconds`), the
      // same names our Prometheus endpoint and InfluxDB exporter use.
      '-opentelemetry.usePrometheusNaming',
    ],
    cwd: dataDir,
    readyPath: '/health',
  }));
}

/** Prometheus 2.42 scraping `targets` at /metrics every second as job `netbird`. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningServer> {
  const binary = requireExecutable('prometheus', 'Prometheus');
  return startServer(opts, 'prom', async (port, dataDir) => {
    const configFile = join(dataDir, 'prometheus.yml');
    // JSON is valid YAML, so the config needs no YAML writer.
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'netbird',
          metrics_path: '/metrics',
          static_configs: [{ targets: opts.targets }],
        },
      ],
    };
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    return {
      name: 'Prometheus',
      binary,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      cwd: dataDir,
      readyPath: '/-/ready',
    };
  });
}

export interface NginxOptions extends StartOptions {
  /** Loopback ports of the servers nginx balances between (round robin). */
  upstreams: number[];
}

/**
 * Debian's nginx as a load balancer on loopback, with its own prefix (config, pid, temp files)
 * under the data folder. One process (`master_process off`), so a stop or SIGKILL leaves no
 * worker behind. A failed or refused (502/503) attempt is retried on the next server, POSTs
 * included (`non_idempotent`): the body may then reach two servers, which is safe only because
 * storage is idempotent. `GET /nginx-ready` answers nginx itself.
 */
export async function startNginx(opts: NginxOptions): Promise<RunningServer> {
  const binary = findExecutable('nginx') ?? requireExecutable('/usr/sbin/nginx', 'nginx');
  return startServer(opts, 'nginx', async (port, dataDir) => {
    const servers = opts.upstreams
      .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=1s;\n`)
      .join('');
    const config = `daemon off;
master_process off;
worker_processes 1;
pid ${join(dataDir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dataDir, 'body')};
  proxy_temp_path ${join(dataDir, 'proxy')};
  fastcgi_temp_path ${join(dataDir, 'fastcgi')};
  uwsgi_temp_path ${join(dataDir, 'uwsgi')};
  scgi_temp_path ${join(dataDir, 'scgi')};
  upstream ingest {
${servers}    keepalive 16;
    # Below the ingest's own idle timeout (5 s), so nginx never reuses a connection it closed.
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 60m;
    client_body_buffer_size 1m;
    location = /nginx-ready { return 204; }
    location / {
      proxy_pass http://ingest;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 4;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`;
    const configFile = join(dataDir, 'nginx.conf');
    await writeFile(configFile, config);
    return {
      name: 'nginx',
      binary,
      args: ['-p', dataDir, '-c', configFile],
      cwd: dataDir,
      readyPath: '/nginx-ready',
    };
  });
}

/** The ingest command (`node --import tsx src/ingest/cli.ts`) as its own process, configured by `env`. */
export async function startIngestProcess(
  opts: StartOptions & { env: Readonly<Record<string, string>> },
): Promise<RunningServer> {
  const root = join(import.meta.dirname, '..', '..');
  return startServer(opts, 'ingest', async (port, dataDir) => ({
    name: 'ingest',
    binary: process.execPath,
    args: ['--import', 'tsx', join(root, 'src', 'ingest', 'cli.ts')],
    // tsx is resolved from the repository.
    cwd: root,
    readyPath: '/health',
    env: {
      PATH: process.env.PATH ?? '',
      INGEST_LISTEN_ADDR: `127.0.0.1:${port}`,
      INGEST_DATA_DIR: join(dataDir, 'store'),
      INGEST_LOG_LEVEL: 'warn',
      ...opts.env,
    },
  }));
}

// Benchmark 6: push latency while the dashboard takes a flood of abandoned requests. The ingest
// CLI (dist/, embedded store) holds a store of recent samples, many with distinct login
// results; one client pushes 200-line gzip batches one after another and times each answer,
// with the dashboard idle and while a flooder (its own process) sends FLOOD_BURST page requests
// every second, each for a distinct range and each abandoned after ABANDON_MS: closed tabs, or
// a script. The ranges are of the last minute, which the stored samples are older than: each
// request makes a scan read the whole store while yielding nothing. Target: the flood at most
// doubles the push p99.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/setup/backends.js';
import { batches, ingestTarget, post, type Target } from './lib/push-load.js';
import { type BenchResult, result } from './lib/report.js';

const CLI = fileURLToPath(new URL('../dist/ingest/cli.js', import.meta.url));
const FLOODER = fileURLToPath(new URL('./children/dashboard-flooder.mjs', import.meta.url));
const FLOOD_BURST = 150;
const ABANDON_MS = 5;

/**
 * Line protocol of a store's last hour up to two minutes ago: syncs, connections, and logins
 * with distinct results.
 */
function storeText(bytes: number, now: number): string {
  const parts: string[] = ['# DML\n# CONTEXT-DATABASE: netbird\n'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const t = BigInt(now - 3_600_000 + (i % 3_480_000)) * 1_000_000n + BigInt(i % 1000);
    const peer = (i % 5000).toString(16).padStart(16, '0');
    const line =
      i % 3 === 0
        ? `netbird_login,peer_id=${peer},result=r${i} duration_seconds=${(i % 97) / 10} ${t}\n`
        : i % 3 === 1
          ? `netbird_peer_connection,peer_id=${peer},connection_pair_id=p${i % 20_000},connection_type=${i % 2 ? 'relay' : 'ice_p2p'},attempt_type=initial total_seconds=${(i % 50) / 10},signaling_to_connection_seconds=0.5,connection_to_wg_handshake_seconds=0.1 ${t}\n`
          : `netbird_sync,peer_id=${peer} duration_seconds=${(i % 31) / 100} ${t}\n`;
    parts.push(line);
    size += line.length;
  }
  return parts.join('');
}

interface Cli {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startCli(dataDir: string): Promise<Cli> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI], {
    env: {
      ...process.env,
      INGEST_LISTEN_ADDR: `127.0.0.1:${port}`,
      INGEST_DATA_DIR: dataDir,
      INGEST_RETENTION_BYTES: String(2 ** 30),
      INGEST_PEER_RATE_PER_MINUTE: '0',
      INGEST_ADDRESS_RATE_PER_MINUTE: '0',
      INGEST_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`ingest exited: ${stderr}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error(`ingest did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU seconds (user + system) the process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One push, timed; a push that is not stored fails the run. */
async function push(agent: Agent, target: Target, body: Buffer, i: number): Promise<number> {
  const started = performance.now();
  const status = await post(agent, target, body, i);
  if (status !== 204) throw new Error(`push ${i}: HTTP ${status}`);
  return performance.now() - started;
}

/** Pushes one after another for `ms`; returns each push's latency in ms. */
async function timePushes(target: Target, bodies: readonly Buffer[], ms: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      latencies.push(await push(agent, target, bodies[i % bodies.length] as Buffer, i));
    }
  } finally {
    agent.destroy();
  }
  return latencies;
}

/** Starts the flooder process; `stop` ends it and returns how many requests it sent. */
async function flood(base: string, path: string): Promise<{ stop: () => Promise<number> }> {
  const child = spawn(process.execPath, [FLOODER], {
    env: {
      ...process.env,
      FLOOD_URL: base,
      FLOOD_PATH: path,
      FLOOD_BURST: String(FLOOD_BURST),
      FLOOD_ABANDON_MS: String(ABANDON_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  while (!out.includes('\n')) {
    if (child.exitCode !== null) throw new Error('flooder exited');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const last = out.trim().split('\n').pop() ?? '{}';
      return (JSON.parse(last) as { sent?: number }).sent ?? 0;
    },
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export async function benchDashboardFlood(quick: boolean): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-dashboard-'));
  const storeBytes = quick ? 8 * 2 ** 20 : 54 * 2 ** 20;
  const now = Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  await writeFile(join(dataDir, `metrics-${day}.lp`), storeText(storeBytes, now));
  const cli = await startCli(dataDir);
  try {
    const bodies = batches(2 * 2 ** 20);
    const target = ingestTarget(cli.url);
    const runMs = quick ? 2_000 : 8_000;
    await timePushes(target, bodies, 500);
    const sides = {
      idle: { path: '', latencies: [] as number[], cpu: 0, requests: 0 },
      dashboard: { path: '/dashboard', latencies: [] as number[], cpu: 0, requests: 0 },
      health: { path: '/health', latencies: [] as number[], cpu: 0, requests: 0 },
    };
    const run = async (side: (typeof sides)[keyof typeof sides]) => {
      const cpu = await cpuSeconds(cli.pid);
      const f = side.path === '' ? undefined : await flood(cli.url, side.path);
      side.latencies.push(...(await timePushes(target, bodies, runMs)));
      side.requests += (await f?.stop()) ?? 0;
      side.cpu += (await cpuSeconds(cli.pid)) - cpu;
    };
    // ABCCBA: drift (a warming JIT, a noisy neighbour) hits every side alike.
    const order = quick
      ? [sides.idle, sides.dashboard, sides.health]
      : [sides.idle, sides.dashboard, sides.health, sides.health, sides.dashboard, sides.idle];
    for (const side of order) await run(side);
    const idle = sides.idle.latencies;
    const flooded = sides.dashboard.latencies;
    const rounds = quick ? 1 : 2;
    const p = (xs: number[], q: number) => percentile(xs, q);
    const ratio = p(flooded, 99) / p(idle, 99);
    return result({
      id: 6,
      title: `push latency while the dashboard takes abandoned requests (${storeBytes / 2 ** 20} MiB store)`,
      figures: [
        { label: 'ours: push p50 during the flood', value: p(flooded, 50), unit: 'ms' },
        { label: 'ours: push p99 during the flood', value: p(flooded, 99), unit: 'ms' },
        { label: 'anchor: push p50, dashboard idle', value: p(idle, 50), unit: 'ms' },
        { label: 'anchor: push p99, dashboard idle', value: p(idle, 99), unit: 'ms' },
        {
          label: 'floor: push p50, same flood to /health',
          value: p(sides.health.latencies, 50),
          unit: 'ms',
        },
        {
          label: 'floor: push p99, same flood to /health',
          value: p(sides.health.latencies, 99),
          unit: 'ms',
        },
        {
          label: 'abandoned dashboard requests per second',
          value: sides.dashboard.requests / ((rounds * runMs) / 1000),
          unit: 'req/s',
        },
        { label: 'ingest CPU time during the flood', value: sides.dashboard.cpu, unit: 's' },
        { label: 'ingest CPU time, /health flood', value: sides.health.cpu, unit: 's' },
        { label: 'ingest CPU time, dashboard idle', value: sides.idle.cpu, unit: 's' },
      ],
      ratio,
      ratioMeaning: 'push p99 during the flood / push p99 with the dashboard idle',
      target: { comparison: '<=', value: 2 },
      notes: [
        `${flooded.length} pushes timed during the flood, ${idle.length} idle, ${sides.health.latencies.length} with the /health flood; one push at a time, 200-line gzip batches; ${rounds} timed run(s) of ${runMs / 1000} s per side${quick ? '' : ' (ABCCBA order)'}`,
        `flood: ${FLOOD_BURST} page requests a second, each for a distinct range of the last minute (the ${storeBytes / 2 ** 20} MiB of stored samples are older), abandoned after ${ABANDON_MS} ms`,
        'the ingest CLI from dist/, the flooder and the pusher each in their own process; embedded store',
      ],
    });
  } finally {
    await cli.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

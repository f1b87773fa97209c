// Starts the ingest server in a child process (bench/children/ingest-server.mjs, from dist/), or
// another server script that prints its URL the same way, and reads its peak resident memory
// from /proc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface IngestChild {
  url: string;
  pid: number;
  /** Peak and current resident set size in bytes (Linux /proc). */
  memory(): Promise<{ peakRss: number; rss: number }>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('../children/ingest-server.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;

export function startIngestChild(
  options: Record<string, unknown>,
  nodeArgs: readonly string[] = [],
): Promise<IngestChild> {
  return startServerChild(SCRIPT, { INGEST_BENCH_OPTIONS: JSON.stringify(options) }, nodeArgs);
}

/** Runs `script`, which prints `{"url": ...}` as its first line once listening. */
export async function startServerChild(
  script: string,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: readonly string[] = [],
): Promise<IngestChild> {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start in ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${stderr}`));
    });
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    async memory() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = (name: string) =>
        Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { peakRss: kib('VmHWM') * 1024, rss: kib('VmRSS') * 1024 };
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

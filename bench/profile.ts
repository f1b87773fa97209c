// `npx tsx bench/profile.ts 1|2|3|4 [seconds]`: profiles the subject side of a benchmark with the
// V8 CPU profiler and prints where the time goes (self time per function, and inclusive time),
// the evidence docs/benchmarks.md quotes for a missed target. The .cpuprofile file is kept under
// .tmp/profiles/ (open it in Chrome DevTools, or `node --cpu-prof`-compatible tools).
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { influxCreateDatabase } from '../test/helpers/backend-clients.js';
import { startInfluxDB } from '../test/setup/backends.js';
import { runChild } from './lib/child.js';
import { startIngestChild } from './lib/ingest-child.js';
import { batches, ingestTarget, load } from './lib/push-load.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self and inclusive time share per function, largest first. */
export function summarize(
  profile: CpuProfile,
  top: number,
): { self: string[]; inclusive: string[]; idlePercent: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => {
    const file = n.callFrame.url.split('/').slice(-2).join('/');
    return `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id);
    if (node === undefined) return;
    self.set(name(node), (self.get(name(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) break;
      const key = name(n);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      seen.add(key);
    }
  });
  const list = (m: Map<string, number>) =>
    [...m]
      .filter(([key]) => !/^\((root|program|idle)\)/.test(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, t]) => `${((t / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  const idle = [...self].filter(([key]) => key.startsWith('(idle)')).reduce((a, [, t]) => a + t, 0);
  return { self: list(self), inclusive: list(inclusive), idlePercent: (idle / total) * 100 };
}

/**
 * Benchmark 4's subject is another process: the ingest child runs under --cpu-prof while the
 * benchmark's load goes through it into a real InfluxDB 1.6.
 */
async function profileIngest(seconds: number, file: string): Promise<{ rounds: number }> {
  const influx = await startInfluxDB();
  const profDir = `${file}.d`;
  try {
    await influxCreateDatabase(influx.url, 'profile');
    const ingest = await startIngestChild(
      {
        influxdbUrl: `${influx.url}/write?db=profile`,
        peerRatePerMinute: 0,
        addressRatePerMinute: 0,
        clientSharePercent: 100,
      },
      ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    );
    let rps = 0;
    try {
      rps = await load(ingestTarget(ingest.url), batches(8 * 2 ** 20), seconds * 1000);
    } finally {
      await ingest.stop();
    }
    const [written] = await readdir(profDir);
    if (written === undefined) throw new Error(`the ingest wrote no profile to ${profDir}`);
    await rename(join(profDir, written), file);
    return { rounds: Math.round(rps * seconds) };
  } finally {
    await influx.dispose();
  }
}

const [which = '2', seconds = '5'] = process.argv.slice(2);
const dir = fileURLToPath(new URL('../.tmp/profiles/', import.meta.url));
await mkdir(dir, { recursive: true });
const file = join(dir, `bench-${which}-${Date.now()}.cpuprofile`);
const run =
  which === '4'
    ? await profileIngest(Number(seconds), file)
    : await runChild<{ rounds: number }>(
        new URL('./children/profile-workload.ts', import.meta.url),
        {
          timeoutMs: 180_000,
          args: [which, seconds, file],
        },
      );
const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
const { self, inclusive, idlePercent } = summarize(profile, 18);
console.log(
  `benchmark ${which}: ${run.rounds} rounds in ${seconds} s, idle ${idlePercent.toFixed(1)} % of the time; profile ${file}\n\nself time (share of all time)\n${self.join('\n')}\n\ninclusive time\n${inclusive.join('\n')}`,
);

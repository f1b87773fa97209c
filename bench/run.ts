// `npm run bench`: runs every benchmark, prints each figure next to its anchor measured in the
// same run with the ratio and PASS/MISS against its target, and writes bench/results.json.
//   --quick        smaller inputs and shorter timings (a smoke run; figures are not quotable)
//   --only=1,3     run only these benchmarks
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findExecutable } from '../test/setup/backends.js';
import { benchDashboardFlood } from './dashboard-flood.js';
import { benchIngestThroughput } from './ingest-throughput.js';
import { benchIngestValidation } from './ingest-validation.js';
import { type BenchResult, formatResult, type Machine, machine } from './lib/report.js';
import { benchLineProtocolEncoding } from './line-protocol-encoding.js';
import { benchFleetMemory, benchIngestMemory } from './memory.js';
import { benchRecordConnection } from './record-connection.js';

const BENCHMARKS: ReadonlyArray<{ id: number; run: (quick: boolean) => Promise<BenchResult> }> = [
  { id: 1, run: benchLineProtocolEncoding },
  { id: 2, run: benchRecordConnection },
  { id: 3, run: benchIngestValidation },
  { id: 4, run: benchIngestThroughput },
  { id: 5, run: benchFleetMemory },
  { id: 5, run: benchIngestMemory },
  { id: 6, run: benchDashboardFlood },
];

interface Results {
  machine: Machine;
  quick: boolean;
  durationSeconds: number;
  results: BenchResult[];
  errors: { id: number; message: string }[];
}

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const quick = values.quick ?? false;
const only = values.only?.split(',').map(Number);

// Benchmarks 4 and 5 need a real InfluxDB 1.6; install it as `npm test` does when it is missing.
if (findExecutable('influxd') === undefined) {
  const script = fileURLToPath(new URL('../scripts/install-backends.sh', import.meta.url));
  spawnSync('bash', [script], { stdio: 'inherit' });
}

const started = performance.now();
const host = machine();
console.log(
  `netbird-otel-metrics benchmarks${quick ? ' (quick: not quotable)' : ''}\n${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.date}, load ${host.loadAverage}\n`,
);
const results: BenchResult[] = [];
const errors: { id: number; message: string }[] = [];
for (const bench of BENCHMARKS) {
  if (only !== undefined && !only.includes(bench.id)) continue;
  try {
    const r = await bench.run(quick);
    results.push(r);
    console.log(`${formatResult(r)}\n`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errors.push({ id: bench.id, message });
    console.log(`(${bench.id}) FAILED: ${message}\n`);
  }
}

const out: Results = {
  machine: host,
  quick,
  durationSeconds: Math.round((performance.now() - started) / 100) / 10,
  results,
  errors,
};
const path = new URL('./results.json', import.meta.url);
await writeFile(path, `${JSON.stringify(out, null, 2)}\n`);
console.log('summary:');
for (const r of results) {
  console.log(
    `  (${r.id}) ${r.pass ? 'PASS' : 'MISS'}  ${r.ratio.toFixed(2)} ${r.target.comparison} ${r.target.value}  ${r.ratioMeaning}`,
  );
}
for (const e of errors) console.log(`  (${e.id}) ERROR`);
console.log(`done in ${out.durationSeconds} s; written to bench/results.json`);
// Targets missed are reported, not failed: the run itself succeeded unless a benchmark broke.
process.exitCode = errors.length > 0 ? 1 : 0;

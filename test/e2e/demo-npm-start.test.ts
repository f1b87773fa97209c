// `npm start` as a user runs it: in a fresh copy of the repository (so its build cannot disturb
// tests reading dist/), default flags, no exporter settings. The summary it prints must be what
// the ingest's store holds. `--serve` must keep the dashboard up until Ctrl-C.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../../src/ingest/sinks/embedded-store.js';
import { type Sample, SYNC_PHASES } from '../../src/protocol/schema.js';
import { ROOT, runCommand } from '../helpers/run-script.js';

const SKIP = new Set(['node_modules', 'dist', '.tmp', '.git', 'coverage']);

/** Environment without anything that would change the demo's defaults. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(NB_METRICS_|OTEL_|INGEST_|INFLUXDB_|DASHBOARD_)/.test(k)) env[k] = v;
  }
  return env;
}

let copy: string;
beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'nbom-fresh-'));
  await cp(ROOT, copy, {
    recursive: true,
    filter: (src) => !SKIP.has(relative(ROOT, src).split('/')[0] ?? ''),
  });
  // `npm install` would fill node_modules; the installed one is the same lockfile's.
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
});
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

/**
 * The pth percentile as InfluxQL's PERCENTILE picks it (the sample at rank n·p/100, rounded),
 * computed here independently of the demo.
 */
function q(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length * p) / 100 + 0.5) - 1] as number;
}

/** The summary ends the output: after its heading come only its own indented lines. */
function expectSummaryLast(out: string): void {
  const at = out.lastIndexOf('\nSummary (');
  expect(at, out).toBeGreaterThan(0);
  const [heading = '', ...rows] = out
    .slice(at + 1)
    .trimEnd()
    .split('\n');
  expect(heading.match(/[()]/g), heading).toEqual(['(', ')']);
  expect(
    rows.filter((row) => !row.startsWith('  ')),
    out.slice(at),
  ).toEqual([]);
  expect(rows.at(-1)).toMatch(/^ {2}login success rate /);
}

/** "812 ms" / "4.04 s" / "3.24 min" / "0 ms" back to seconds. */
function seconds(text: string): number {
  const m = /^([\d.]+) (µs|ms|s|min)$/.exec(text.trim());
  if (m === null) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'µs' ? n / 1e6 : m[2] === 'min' ? n * 60 : n;
}

/** Printed with three significant digits: equal to that precision. */
function expectPrinted(printed: string, actual: number, what: string): void {
  const value = seconds(printed);
  const tolerance = Math.max(Math.abs(actual) * 0.005, 1e-9);
  expect(
    Math.abs(value - actual),
    `${what}: printed ${printed}, store says ${actual}`,
  ).toBeLessThanOrEqual(tolerance);
}

describe('npm start', () => {
  it('runs the demo with defaults and prints a summary that matches the store', async () => {
    const result = await runCommand('npm', ['start', '--silent'], {
      cwd: copy,
      env: cleanEnv(),
      timeoutMs: 120_000,
    });
    const out = result.stdout;
    expect(result.code, `${out}\n${result.stderr}`).toBe(0);
    console.log(`npm start (build + demo) took ${(result.ms / 1000).toFixed(1)} s`);

    // Progress while it runs, then how to keep the dashboard (not its URL: it stops with the
    // demo), then the summary, last.
    const progress = out.match(/^\[\s*[\d.]+s\/12s\]/gm) ?? [];
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(out).not.toContain('/dashboard');
    const keep = out.indexOf('`npm start -- --serve` keeps them running');
    const lastProgress = out.lastIndexOf('\n[');
    expect(lastProgress).toBeGreaterThan(0);
    expect(out.indexOf('\nDone in ')).toBeGreaterThan(lastProgress);
    expect(keep).toBeGreaterThan(out.indexOf('\nDone in '));
    expect(out.indexOf("\nSummary (read back from the ingest's embedded store")).toBeGreaterThan(
      keep,
    );
    expectSummaryLast(out);

    const samples: Sample[] = [];
    const store = await EmbeddedStore.open({
      dataDir: join(copy, '.tmp', 'demo-store'),
      retentionDays: 30,
      retentionBytes: 2 ** 30,
    });
    for await (const s of store.readSamples()) samples.push(s);
    await store.close();
    const of = (m: string) => samples.filter((s) => s.measurement === m);
    const conns = of('netbird_peer_connection');
    const logins = of('netbird_login');

    // Counts.
    const counts = /^ {2}samples\s+(.+)$/m.exec(out)?.[1] ?? '';
    for (const m of [
      'netbird_login',
      'netbird_peer_connection',
      'netbird_sync',
      'netbird_sync_phase',
    ]) {
      expect(counts, m).toContain(`${m}=${of(m).length}`);
    }
    expect(of('netbird_peer_connection').length).toBeGreaterThan(1000);
    expect(out).toMatch(
      new RegExp(`reporting peers\\s+${new Set(samples.map((s) => s.tags.peer_id)).size}$`, 'm'),
    );
    const reconnections = conns.filter((s) => s.tags.attempt_type === 'reconnection').length;
    expect(out).toMatch(
      new RegExp(
        `connection attempts\\s+${conns.length} \\(${conns.length - reconnections} initial, ${reconnections} reconnections\\)`,
      ),
    );

    // n, p50, p95, p99 and max per stage, the total, sync, every sync phase and login.
    const phases = of('netbird_sync_phase');
    const stats: Array<[string, number[]]> = [
      [
        'stage signaling_to_connection',
        conns.map((s) => s.fields.signaling_to_connection_seconds as number),
      ],
      [
        'stage connection_to_wg_handshake',
        conns.map((s) => s.fields.connection_to_wg_handshake_seconds as number),
      ],
      ['stage total', conns.map((s) => s.fields.total_seconds as number)],
      ['sync', of('netbird_sync').map((s) => s.fields.duration_seconds as number)],
      ...SYNC_PHASES.map((phase): [string, number[]] => [
        `sync phase ${phase}`,
        phases
          .filter((s) => s.tags.phase === phase)
          .map((s) => s.fields.duration_seconds as number),
      ]),
      ['login', logins.map((s) => s.fields.duration_seconds as number)],
    ];
    for (const [label, values] of stats) {
      expect(values.length, label).toBeGreaterThan(0);
      const line = new RegExp(
        `^  ${label}\\s+n=(\\d+)\\s+p50 (.+?)\\s+p95 (.+?)\\s+p99 (.+?)\\s+max (.+)$`,
        'm',
      ).exec(out);
      expect(line, label).not.toBeNull();
      expect(Number(line?.[1]), label).toBe(values.length);
      expectPrinted(line?.[2] ?? '', q(values, 50), `${label} p50`);
      expectPrinted(line?.[3] ?? '', q(values, 95), `${label} p95`);
      expectPrinted(line?.[4] ?? '', q(values, 99), `${label} p99`);
      expectPrinted(line?.[5] ?? '', Math.max(...values), `${label} max`);
    }
    expect(out.match(/^ {2}sync phase /gm)).toHaveLength(SYNC_PHASES.length);

    // ICE vs relay: pairs by the type of their last connection.
    const last = new Map<string, { t: bigint; type: string }>();
    for (const s of conns) {
      const pair = s.tags.connection_pair_id as string;
      const t = s.timestampNs as bigint;
      const seen = last.get(pair);
      if (seen === undefined || t > seen.t)
        last.set(pair, { t, type: s.tags.connection_type as string });
    }
    const pairsLine = /peer pairs\s+(\d+), by last connection type: (.+)$/m.exec(out);
    expect(Number(pairsLine?.[1])).toBe(last.size);
    for (const type of ['ice_p2p', 'ice_turn', 'relay']) {
      const n = [...last.values()].filter((v) => v.type === type).length;
      expect(n, type).toBeGreaterThan(0);
      expect(pairsLine?.[2], type).toContain(`${type}=${n} `);
    }

    // Login success rate.
    const ok = logins.filter((s) => s.tags.result === 'success').length;
    const failed = logins.length - ok;
    expect(failed).toBeGreaterThan(0);
    const rate = /login success rate\s+([\d.]+)% \((\d+) success, (\d+) failure\)/.exec(out);
    expect([Number(rate?.[2]), Number(rate?.[3])]).toEqual([ok, failed]);
    expect(Number(rate?.[1])).toBeCloseTo((100 * ok) / logins.length, 1);
  });

  it('--serve prints the dashboard URL, keeps it up until Ctrl-C, and ends with the summary', async () => {
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'examples/demo/main.ts',
        '--serve',
        '--peers',
        '20',
        '--duration',
        '1',
        '--data-dir',
        '.tmp/demo-serve',
      ],
      { cwd: copy, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => child.stdout.once('close', () => resolve()));
    try {
      // The URL is printed while it is served; the summary follows and is the last thing.
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no dashboard URL and summary in time:\n${out}`)),
          60_000,
        );
        child.stdout.on('data', () => {
          const m = /^Dashboard: (\S+) \(served until Ctrl-C\)$/m.exec(out);
          if (m && /^ {2}login success rate .*$/m.test(out)) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
        child.once('exit', () => reject(new Error(`exited early:\n${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html.match(/<section class="panel[^>]* data-panel=/g)).toHaveLength(8);
      expect(html.match(/<section class="panel[^>]* data-view=/g)?.length).toBeGreaterThanOrEqual(
        12,
      );
      expect(await (await fetch(new URL('/health', url))).text()).toBe('ok');
      const config = (await (await fetch(new URL('/config', url))).json()) as Record<
        string,
        unknown
      >;
      expect(config.server_url).toBe(new URL(url).origin);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await closed;
      expect(out.indexOf('\nDashboard: ')).toBeLessThan(out.indexOf('\nSummary ('));
      expect(out).not.toContain('keeps them running');
      expectSummaryLast(out);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('console exporter: its histograms come before the note that says so, the summary last', async () => {
    const result = await runCommand(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'examples/demo/main.ts',
        '--peers',
        '3',
        '--duration',
        '1',
        '--data-dir',
        '.tmp/demo-console',
      ],
      { cwd: copy, env: { ...cleanEnv(), NB_METRICS_EXPORTER: 'console' }, timeoutMs: 60_000 },
    );
    const out = result.stdout;
    expect(result.code, `${out}\n${result.stderr}`).toBe(0);
    const note = out.indexOf('\nConsole: histograms printed above by the console exporter\n');
    expect(note, out).toBeGreaterThan(0);
    // ConsoleMetricExporter prints each metric as an object with its data points.
    const printed = out.lastIndexOf('dataPoints');
    expect(printed, out).toBeGreaterThan(0);
    expect(printed).toBeLessThan(note);
    expect(out).toContain("Summary (read back from the clients' own buffers");
    expectSummaryLast(out);
  });
});

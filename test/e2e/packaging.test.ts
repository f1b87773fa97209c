// What a user gets from `npm install`: the packed tarball (and a git URL) installed into an
// application that has its own, compatible OTel versions. One api and one SDK must end up in
// the tree, both entry points must load from ESM and CommonJS, the TypeScript declarations must
// check (ESM under node16 and bundler resolution, CommonJS under node20), and the bin must run.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp,
  installedCopies,
  type PackedProject,
  packProject,
  readJson,
} from '../helpers/packaging-app.js';
import { APP_FILES, APP_OTEL, APP_TYPES, TS_CONFIGS } from '../helpers/packaging-consumers.js';
import { ROOT, runCommand, type ScriptResult } from '../helpers/run-script.js';

const SETUP_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 120_000;

let work: string;
let packed: PackedProject;
let app: string;
let installed: string;
let install: ScriptResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nb-packaging-'));
  packed = await packProject(work);
  app = join(work, 'app');
  installed = join(app, 'node_modules', 'netbird-otel-metrics');
  install = await createApp(app, APP_FILES, [...APP_OTEL, ...APP_TYPES, packed.tarball]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const node = (file: string) =>
  runCommand(process.execPath, [file], { cwd: app, timeoutMs: RUN_TIMEOUT_MS });

describe('the packed tarball in an app with api 1.9.0 and sdk-metrics 2.12.1', () => {
  it('installs without peer conflicts, with one api and one SDK in the tree', async () => {
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/ERESOLVE|overriding peer/i);
    const copies = await installedCopies(app);
    for (const name of ['@opentelemetry/api', '@opentelemetry/sdk-metrics']) {
      expect([...(copies.get(name) ?? [])], name).toHaveLength(1);
    }
    expect([...(copies.get('@opentelemetry/api') ?? [])][0]).toMatch(/^1\.9\.0@/);
    expect([...(copies.get('@opentelemetry/sdk-metrics') ?? [])][0]).toMatch(/^2\.12\.1@/);
    // Optional peers are the app's choice: none of the exporters came along.
    expect(copies.has('@opentelemetry/exporter-prometheus')).toBe(false);
  });

  it('ships the build and nothing of the source tree', async () => {
    const top = await readdir(installed);
    expect(top).toEqual(expect.arrayContaining(['README.md', 'dist', 'docs', 'package.json']));
    for (const unshipped of ['src', 'test', 'bench', 'examples', 'scripts', 'tsconfig.json']) {
      expect(top).not.toContain(unshipped);
    }
    for (const file of ['index.js', 'index.d.ts', 'ingest.js', 'ingest.d.ts', 'ingest/cli.js']) {
      expect(existsSync(join(installed, 'dist', file)), file).toBe(true);
    }
  });

  it('ships source maps that carry their sources', async () => {
    const maps = (await readdir(join(installed, 'dist'), { recursive: true })).filter((f) =>
      f.endsWith('.js.map'),
    );
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources, sourcesContent } = await readJson<{
        sources: string[];
        sourcesContent?: (string | null)[];
      }>(join(installed, 'dist', map));
      expect(sourcesContent?.length, map).toBe(sources.length);
      for (const content of sourcesContent ?? []) expect(content?.length, map).toBeGreaterThan(0);
    }
  });

  it("loads from ESM, records on the app's MeterProvider, and needs an exporter only when selected", async () => {
    const run = await node('esm.mjs');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const seen = JSON.parse(run.stdout) as {
      client: string[];
      ingest: string[];
      names: string[];
      lines: string;
      missingExporter: string;
    };
    expect(seen.client).toContain('createClientMetrics');
    expect(seen.ingest).toContain('createIngestServer');
    expect(seen.names).toContain('netbird.sync.duration');
    expect(seen.lines).toMatch(/^netbird_sync,.* duration_seconds=0\.184 \d+$/m);
    expect(seen.missingExporter).toMatch(
      /^MissingPeerError: .*@opentelemetry\/exporter-prometheus.*npm install "@opentelemetry\/exporter-prometheus@/,
    );
  });

  it('loads from CommonJS through require(esm), the same instances as import, no warning', async () => {
    const run = await node('cjs.cjs');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const seen = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({ sameClient: true, sameIngest: true });
    expect(seen.client).toContain('createClientMetrics');
    expect(seen.ingest).toContain('createIngestServer');
  });

  for (const config of Object.keys(TS_CONFIGS)) {
    it(`type-checks a TypeScript consumer with ${config} (skipLibCheck off)`, async () => {
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const run = await runCommand(process.execPath, [tsc, '-p', config], {
        cwd: app,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      expect(`${run.stdout}${run.stderr}`).toBe('');
      expect(run.code).toBe(0);
    });
  }

  it('runs the netbird-metrics-ingest bin', async () => {
    const bin = join(app, 'node_modules', '.bin', 'netbird-metrics-ingest');
    const run = await runCommand(bin, ['--help'], { cwd: app, timeoutMs: RUN_TIMEOUT_MS });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: netbird-metrics-ingest/);
  });
});

describe('installed from a git URL (a fresh clone: no dist/, built by prepare)', () => {
  it(
    'builds on install and loads from both module systems',
    async () => {
      const gitApp = join(work, 'git-app');
      await createApp(gitApp, { 'package.json': APP_FILES['package.json'] ?? '' }, [
        ...APP_OTEL,
        packed.gitUrl,
      ]);
      const script = [
        "const m = require('netbird-otel-metrics');",
        "import('netbird-otel-metrics/ingest').then((i) =>",
        '  console.log(typeof m.createClientMetrics, typeof i.createIngestServer));',
      ].join('\n');
      const run = await runCommand(process.execPath, ['--input-type=commonjs', '-e', script], {
        cwd: gitApp,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('function function');
      const copies = await installedCopies(gitApp);
      expect(copies.get('@opentelemetry/api')?.size).toBe(1);
      expect(copies.get('@opentelemetry/sdk-metrics')?.size).toBe(1);
    },
    SETUP_TIMEOUT_MS,
  );
});

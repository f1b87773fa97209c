// The built-in dashboard, opened in real headless Chromium (Debian's `chromium`) on demo data:
// all eight panels render with the numbers the store holds, and a screenshot is kept in
// .tmp/dashboard.png for people to look at.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS } from '../../examples/demo/cli-options.js';
import { type DemoRun, runDemo } from '../../examples/demo/demo.js';
import { computePanels } from '../../src/ingest/dashboard/panels.js';
import { ROOT, runCommand } from '../helpers/run-script.js';
import { findExecutable, INSTALL_HINT } from '../setup/backends.js';

const SCREENSHOT = join(ROOT, '.tmp', 'dashboard.png');
const WIDTH = 1400;
const HEIGHT = 1000;

let dir: string;
let run: DemoRun;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nbom-chromium-'));
  run = await runDemo(
    { ...DEMO_DEFAULTS, peers: 80, durationSeconds: 3, dataDir: join(dir, 'store') },
    { write: () => {}, interactive: false, warn: () => {}, env: {} },
  );
}, 60_000);

afterAll(async () => {
  await run?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Headless Chromium with a fresh profile and nothing phoning home. */
async function chromium(args: string[]) {
  const binary = findExecutable('chromium');
  if (binary === undefined)
    throw new Error(`chromium not found; ${INSTALL_HINT} (with --chromium)`);
  const profile = await mkdtemp(join(dir, 'profile-'));
  try {
    const result = await runCommand(
      binary,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeoutMs: 60_000 },
    );
    if (result.code !== 0)
      throw new Error(`chromium exited with ${result.code}: ${result.stderr.slice(-2000)}`);
    return result;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];

/** The HTML of one panel's section in the rendered DOM. */
function section(dom: string, id: string): string {
  const start = dom.indexOf(`data-panel="${id}"`);
  expect(start, `panel ${id} in the DOM`).toBeGreaterThan(0);
  return dom.slice(dom.lastIndexOf('<section', start), dom.indexOf('</section>', start));
}

describe('built-in dashboard in headless Chromium', () => {
  it('renders all eight panels with the data the store holds', async () => {
    const { stdout: dom } = await chromium([
      '--virtual-time-budget=5000',
      '--dump-dom',
      run.dashboardUrl,
    ]);
    const sections = [...dom.matchAll(/<section [^>]*data-panel="([^"]+)"[^>]*>/g)];
    expect(sections.map((m) => m[1])).toHaveLength(8);
    for (const [tag] of sections) expect(Number(attr(tag, 'data-count')), tag).toBeGreaterThan(0);
    expect(dom).not.toContain('No data');

    // The numbers are those of the samples the demo pushed (dashboard range: the last hour).
    const now = Date.now();
    const expected = computePanels(run.samples, { from: now - 3_600_000, to: now });
    const stat = (id: string, which: string) =>
      Number(new RegExp(`data-stat="${which}" data-seconds="([^"]+)"`).exec(section(dom, id))?.[1]);
    expect(stat('sync-duration-extremes', 'min')).toBe(expected.syncDurationExtremes.min);
    expect(stat('sync-duration-extremes', 'max')).toBe(expected.syncDurationExtremes.max);
    expect(stat('total-connection-time-extremes', 'max')).toBe(
      expected.totalConnectionTimeExtremes.max,
    );

    const slices = (id: string) =>
      Object.fromEntries(
        [
          ...section(dom, id).matchAll(/class="slice" data-label="([^"]+)" data-count="(\d+)"/g),
        ].map((m) => [m[1], Number(m[2])]),
      );
    expect(slices('ice-vs-relay')).toEqual(run.summary.connections.pairsByType);
    expect(slices('login-success-vs-failure')).toEqual({
      success: run.summary.login.success,
      failure: run.summary.login.failure,
    });

    const bars = [
      ...section(dom, 'connection-stage-durations').matchAll(
        /class="bar"[^>]*data-seconds="([^"]+)"/g,
      ),
    ];
    expect(bars.map((m) => Number(m[1]))).toEqual(
      expected.connectionStageDurations.map((b) => b.value),
    );

    const circles = (id: string) => (section(dom, id).match(/<circle class="pt"/g) ?? []).length;
    expect(circles('sync-duration')).toBe(expected.syncDuration.points.length);
    expect(circles('total-connection-time')).toBe(expected.totalConnectionTime.points.length);
    expect(circles('login-duration')).toBe(expected.loginDuration.points.length);
    expect(circles('login-duration')).toBe(run.summary.login.attempts);
  });

  it('takes a screenshot of the whole dashboard', async () => {
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    await chromium([
      '--hide-scrollbars',
      `--window-size=${WIDTH},${HEIGHT}`,
      '--virtual-time-budget=5000',
      `--screenshot=${SCREENSHOT}`,
      run.dashboardUrl,
    ]);
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    // IHDR: width and height, big-endian, right after the signature and chunk header.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([WIDTH, HEIGHT]);
    // A blank or error page compresses to a few kilobytes; eight panels of plots do not.
    expect(png.length).toBeGreaterThan(60_000);
  });
});

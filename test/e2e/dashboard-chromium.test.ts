// The built-in dashboard, opened in real headless Chromium (Debian's `chromium`, driven by
// puppeteer-core) on demo data: every panel and operator view renders with the numbers the store
// holds; with JavaScript off the page is whole and its filters work (type into a form and press
// Enter, click a chip or a breakdown row); at 420 px nothing is wider than the screen. Full-page
// screenshots at desktop width and at 420 px are kept in .tmp/screenshots/ for people to look at.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS } from '../../examples/demo/cli-options.js';
import { type DemoRun, runDemo } from '../../examples/demo/demo.js';
import { computePanels, type DashboardData } from '../../src/ingest/dashboard/panels.js';
import { ROOT } from '../helpers/run-script.js';
import { findExecutable, INSTALL_HINT } from '../setup/backends.js';

const SCREENSHOTS = join(ROOT, '.tmp', 'screenshots');
const DESKTOP = { width: 1400, height: 1000 };
const NARROW = { width: 420, height: 900 };
const DAY_MS = 86_400_000;

let dir: string;
let run: DemoRun;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nbom-chromium-'));
  run = await runDemo(
    { ...DEMO_DEFAULTS, peers: 80, durationSeconds: 3, dataDir: join(dir, 'store') },
    { write: () => {}, interactive: false, warn: () => {}, env: {} },
  );
  browser = await launchChromium(await mkdtemp(join(dir, 'profile-')));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await run?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Headless Chromium on a pipe, with a fresh profile and nothing phoning home. */
async function launchChromium(profile: string): Promise<Browser> {
  const executablePath = findExecutable('chromium');
  if (executablePath === undefined)
    throw new Error(`chromium not found; ${INSTALL_HINT} (with --chromium)`);
  return puppeteer.launch({
    executablePath,
    headless: true,
    pipe: true,
    userDataDir: profile,
    defaultViewport: null,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // A scrollbar would take width from the 420 px viewport the layout is checked at.
      '--hide-scrollbars',
    ],
  });
}

interface PageOptions {
  width: number;
  height: number;
  javascript: boolean;
  timeZone?: string;
}

/**
 * A page in its own browser context (no cookies or cache from another test), closed after
 * `use`. `problems` collects what the page reported: the dashboard's script writes nothing to
 * the console, so every console message is one (Chromium's own reports, such as a CSP refusal
 * or a failed load, arrive as console messages too), and so is every uncaught exception.
 */
async function withPage<T>(
  options: PageOptions,
  use: (page: Page, problems: string[]) => Promise<T>,
): Promise<T> {
  if (browser === undefined) throw new Error('chromium did not start');
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) =>
      problems.push(`console ${message.type()}: ${message.text()} ${message.location().url ?? ''}`),
    );
    page.on('pageerror', (error) =>
      problems.push(`exception: ${error instanceof Error ? error.message : String(error)}`),
    );
    await page.setViewport({ width: options.width, height: options.height, deviceScaleFactor: 1 });
    await page.setJavaScriptEnabled(options.javascript);
    if (options.timeZone !== undefined) await page.emulateTimezone(options.timeZone);
    return await use(page, problems);
  } finally {
    await context.close();
  }
}

/** The value of a JavaScript expression, evaluated by the test (not by the page's scripts). */
function js<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Runs `action` (a key press, a click) and resolves when the page it leads to has loaded. */
async function navigation(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation(), action()]);
}

/** What the page shows by default: the last 24 h, fitted to the data. */
function expectedData(filters = {}): DashboardData {
  const now = Date.now();
  return computePanels(run.samples, { from: now - DAY_MS, to: now }, undefined, filters, true);
}

const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];

/** The HTML of one section (`data-panel` or `data-view`) in the rendered DOM. */
function section(dom: string, role: 'panel' | 'view', id: string): string {
  const start = dom.indexOf(`data-${role}="${id}"`);
  expect(start, `${role} ${id} in the DOM`).toBeGreaterThan(0);
  return dom.slice(dom.lastIndexOf('<section', start), dom.indexOf('</section>', start));
}

/** Sections of the page in the live DOM: role, id and sample count. */
const SECTIONS_JS = `[...document.querySelectorAll('section')].map((s) => ({
  role: s.dataset.panel ? 'panel' : 'view', id: s.dataset.panel ?? s.dataset.view,
  count: Number(s.dataset.count), empty: s.querySelector('.empty') !== null }))`;

/** Elements reaching past the viewport's edges (a page that scrolls sideways has some). */
const TOO_WIDE_JS = `[...document.querySelectorAll('body *')].filter((e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5);
}).map((e) => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') ?? '') + ' ' + Math.round(e.getBoundingClientRect().width))`;

describe('built-in dashboard in headless Chromium', () => {
  it('renders all eight panels with the data the store holds', async () => {
    // The DOM once the page has loaded, its script run, serialised as Chromium holds it.
    const dom = await withPage({ ...DESKTOP, javascript: true }, async (page) => {
      await page.goto(run.dashboardUrl);
      return page.content();
    });
    const sections = [...dom.matchAll(/<section [^>]*data-panel="([^"]+)"[^>]*>/g)];
    expect(sections.map((m) => m[1])).toHaveLength(8);
    for (const [tag] of sections) expect(Number(attr(tag, 'data-count')), tag).toBeGreaterThan(0);
    expect(dom).not.toContain('No data');

    // The numbers are those of the samples the demo pushed.
    const expected = expectedData();
    const stat = (id: string, which: string) =>
      Number(
        new RegExp(`data-stat="${which}" data-seconds="([^"]+)"`).exec(
          section(dom, 'panel', id),
        )?.[1],
      );
    expect(stat('sync-duration-extremes', 'min')).toBe(expected.syncDurationExtremes.min);
    expect(stat('sync-duration-extremes', 'max')).toBe(expected.syncDurationExtremes.max);
    expect(stat('total-connection-time-extremes', 'max')).toBe(
      expected.totalConnectionTimeExtremes.max,
    );
    expect(stat('total-connection-time-extremes', 'p95')).toBe(
      expected.insights.distributions.connectionTotal.overall.p95,
    );

    const slices = (id: string) =>
      Object.fromEntries(
        [
          ...section(dom, 'panel', id).matchAll(
            /class="slice" data-label="([^"]+)" data-count="(\d+)"/g,
          ),
        ].map((m) => [m[1], Number(m[2])]),
      );
    expect(slices('ice-vs-relay')).toEqual(run.summary.connections.pairsByType);
    expect(slices('login-success-vs-failure')).toEqual({
      success: run.summary.login.success,
      failure: run.summary.login.failure,
    });

    // Each stage: its mean (NetBird's number) and its p50 and p95.
    const stages = [
      ...section(dom, 'panel', 'connection-stage-durations').matchAll(
        /class="stage" [^>]*data-mean="([^"]+)" data-p50="([^"]+)" data-p95="([^"]+)"/g,
      ),
    ];
    expect(stages.map((m) => Number(m[1]))).toEqual(
      expected.connectionStageDurations.map((b) => b.value),
    );
    const d = expected.insights.distributions;
    expect(stages.map((m) => [Number(m[2]), Number(m[3])])).toEqual(
      [d.signalingToConnection, d.connectionToHandshake].map((x) => [x.overall.p50, x.overall.p95]),
    );

    const circles = (id: string) =>
      (section(dom, 'panel', id).match(/<circle class="pt"/g) ?? []).length;
    expect(circles('sync-duration')).toBe(expected.syncDuration.points.length);
    expect(circles('total-connection-time')).toBe(expected.totalConnectionTime.points.length);
    expect(circles('login-duration')).toBe(expected.loginDuration.points.length);
    expect(circles('login-duration')).toBe(run.summary.login.attempts);

    // Every operator view has data, and the percentile table holds the store's percentiles.
    const views = [...dom.matchAll(/<section [^>]*data-view="([^"]+)"[^>]*data-count="(\d+)"/g)];
    expect(views.length).toBeGreaterThanOrEqual(12);
    for (const [tag] of views) expect(Number(attr(tag, 'data-count')), tag).toBeGreaterThan(0);
    const table = section(dom, 'view', 'percentiles');
    for (const [key, dist] of Object.entries(d)) {
      const row = new RegExp(`<tr data-dist="${key}"[^>]*>([\\s\\S]*?)</tr>`).exec(table)?.[1];
      for (const q of ['p50', 'p95', 'p99', 'max'] as const) {
        const v = new RegExp(`data-q="${q}" data-seconds="([^"]+)"`).exec(row ?? '')?.[1];
        expect(Number(v), `${key} ${q}`).toBe(dist.overall[q]);
      }
    }
    // The header names the kind of source, not the store's folder.
    expect(dom).toMatch(/id="source">embedded store · /);
    expect(dom).not.toContain(run.dataDir);
  });

  it('keeps full-page screenshots at desktop width and at 420 px', async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    for (const [name, size] of [
      ['dashboard-desktop.png', DESKTOP],
      ['dashboard-420px.png', NARROW],
    ] as const) {
      const path = join(SCREENSHOTS, name);
      await rm(path, { force: true });
      const png = await withPage({ ...size, javascript: true }, async (page) => {
        await page.goto(run.dashboardUrl);
        return page.screenshot({ fullPage: true });
      });
      await writeFile(path, png);
      console.log(`dashboard screenshot (${size.width} px wide): ${path}`);
      const saved = await readFile(path);
      expect(saved.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
      // IHDR: width and height, big-endian, right after the signature and chunk header. The
      // whole page is taken, so it is as wide as the viewport and taller than one screen.
      expect(saved.readUInt32BE(16)).toBe(size.width);
      expect(saved.readUInt32BE(20)).toBeGreaterThan(size.height);
      // A blank or error page compresses to a few kilobytes; twenty panels of plots do not.
      expect(saved.length).toBeGreaterThan(100_000);
    }
  });

  it('is whole without JavaScript and fits 420 px without scrolling sideways', async () => {
    // A zone far from UTC: the page's script would rewrite the time labels into it.
    const options = { ...NARROW, javascript: false, timeZone: 'Asia/Kolkata' };
    await withPage(options, async (page, problems) => {
      await page.goto(run.dashboardUrl);
      const sections = await js<Array<{ role: string; id: string; count: number; empty: boolean }>>(
        page,
        SECTIONS_JS,
      );
      expect(sections.filter((s) => s.role === 'panel')).toHaveLength(8);
      expect(sections.filter((s) => s.role === 'view').length).toBeGreaterThanOrEqual(12);
      for (const s of sections) {
        expect(s.count, s.id).toBeGreaterThan(0);
        expect(s.empty, s.id).toBe(false);
      }
      // The labels are still the server's UTC ones: no script ran.
      const label = await js<{ t: string; text: string }>(
        page,
        `(() => { const el = document.querySelector('.axis.time'); return { t: el.dataset.t, text: el.textContent }; })()`,
      );
      expect(label.text).toBe(new Date(Number(label.t)).toISOString().slice(11, 16));
      expect(await js<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(
        NARROW.width,
      );
      expect(await js<string[]>(page, TOO_WIDE_JS)).toEqual([]);
      expect(problems).toEqual([]);
    });
  });

  it('filters without JavaScript: a form, a chip and a breakdown row are plain navigations', async () => {
    await withPage({ ...NARROW, javascript: false }, async (page, problems) => {
      await page.goto(run.dashboardUrl);
      const os = await js<string>(
        page,
        `document.querySelector('[data-view="relay-share-by-os"] a.group').textContent`,
      );
      // Type an os into its form and press Enter, as a user does.
      await page.type('form[data-tag="os"] input[name="os"]', os);
      await navigation(page, () => page.keyboard.press('Enter'));
      const filtered = new URL(page.url());
      expect(filtered.pathname).toBe('/dashboard');
      expect([...filtered.searchParams]).toEqual([['os', os]]);
      const chips = await js<string[]>(
        page,
        `[...document.querySelectorAll('a.chip')].map((a) => a.dataset.tag + '=' + a.textContent)`,
      );
      expect(chips).toEqual([`os=os: ${os} ×`]);
      // The numbers are those of that os alone.
      const connections = run.samples.filter(
        (s) => s.measurement === 'netbird_peer_connection' && s.tags.os === os,
      ).length;
      const count = (selector: string) =>
        js<number>(page, `Number(document.querySelector('${selector}').dataset.count)`);
      expect(await count('[data-panel="total-connection-time"]')).toBe(connections);
      expect(await count('[data-view="percentiles"] tr[data-dist="connectionTotal"]')).toBe(
        expectedData({ os }).insights.distributions.connectionTotal.overall.count,
      );
      expect(
        await js<string[]>(
          page,
          `[...document.querySelectorAll('[data-view="relay-share-by-os"] tr.row')].map((r) => r.dataset.label)`,
        ),
      ).toEqual([os]);

      // A breakdown row adds its filter to the one set.
      await navigation(page, () => page.click('[data-view="connections-by-attempt-type"] a.group'));
      const both = new URL(page.url());
      expect(both.searchParams.get('os')).toBe(os);
      expect(both.searchParams.get('attempt_type')).toMatch(/^(initial|reconnection)$/);

      // Removing the os chip keeps the attempt type.
      await navigation(page, () => page.click('a.chip[data-tag="os"]'));
      const rest = new URL(page.url());
      expect([...rest.searchParams.keys()]).toEqual(['attempt_type']);
      await navigation(page, () => page.click('a.chip[data-tag="attempt_type"]'));
      expect(page.url()).toBe(run.dashboardUrl);
      expect(await page.$('#chips a')).toBeNull();
      expect(problems).toEqual([]);
    });
  });

  it('runs its one script (allowed by hash) when JavaScript is on', async () => {
    const options = { ...DESKTOP, javascript: true, timeZone: 'Asia/Kolkata' };
    await withPage(options, async (page, problems) => {
      await page.goto(run.dashboardUrl);
      const label = await js<{ t: string; text: string }>(
        page,
        `(() => { const el = document.querySelector('.axis.time'); return { t: el.dataset.t, text: el.textContent }; })()`,
      );
      // India is UTC+5:30, all year.
      const local = new Date(Number(label.t) + 5.5 * 3_600_000).toISOString().slice(11, 16);
      expect(label.text).toBe(local);
      expect(problems).toEqual([]);
    });
  });
});

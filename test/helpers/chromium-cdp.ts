// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: no
// port, no WebSocket library): open a page at a given viewport, with or without JavaScript,
// read the DOM, click and type as a user does, and take full-page screenshots. Only what the
// dashboard tests need.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { findExecutable, INSTALL_HINT } from '../setup/backends.js';

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

const TIMEOUT_MS = 30_000;

export class ChromiumPage {
  readonly #child: ChildProcess;
  readonly #in: Writable;
  readonly #profile: string;
  readonly #pending = new Map<
    number,
    { resolve: (m: Message) => void; reject: (e: Error) => void }
  >();
  readonly #waiters: Array<{ method: string; resolve: () => void }> = [];
  #nextId = 1;
  #session = '';
  #buffer = '';
  /** Console errors and exceptions the page reported (a CSP refusal, a script error). */
  readonly problems: string[] = [];

  private constructor(child: ChildProcess, profile: string) {
    this.#child = child;
    this.#profile = profile;
    this.#in = child.stdio[3] as Writable;
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => this.#read(chunk));
    child.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error('chromium exited'));
      this.#pending.clear();
    });
  }

  /** A fresh browser (own profile) with one page of `width` × `height` CSS pixels. */
  static async open(options: {
    width: number;
    height: number;
    javascript: boolean;
  }): Promise<ChromiumPage> {
    const binary = findExecutable('chromium');
    if (binary === undefined)
      throw new Error(`chromium not found; ${INSTALL_HINT} (with --chromium)`);
    const profile = await mkdtemp(join(tmpdir(), 'nbom-cdp-'));
    const child = spawn(
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
        '--hide-scrollbars',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    child.stderr?.resume();
    const page = new ChromiumPage(child, profile);
    const targets = await page.#send('Target.getTargets');
    const infos = (targets.targetInfos ?? []) as Array<{ targetId: string; type: string }>;
    const target = infos.find((t) => t.type === 'page');
    const targetId =
      target?.targetId ??
      ((await page.#send('Target.createTarget', { url: 'about:blank' })).targetId as string);
    const attached = await page.#send('Target.attachToTarget', { targetId, flatten: true });
    page.#session = attached.sessionId as string;
    await page.command('Page.enable');
    await page.command('Runtime.enable');
    await page.command('Log.enable');
    await page.command('Emulation.setDeviceMetricsOverride', {
      width: options.width,
      height: options.height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.command('Emulation.setScriptExecutionDisabled', { value: !options.javascript });
    return page;
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let end = this.#buffer.indexOf('\0');
    while (end >= 0) {
      const message = JSON.parse(this.#buffer.slice(0, end)) as Message;
      this.#buffer = this.#buffer.slice(end + 1);
      this.#dispatch(message);
      end = this.#buffer.indexOf('\0');
    }
  }

  #dispatch(message: Message): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message);
      return;
    }
    if (message.method === 'Runtime.exceptionThrown') {
      this.problems.push(JSON.stringify(message.params).slice(0, 500));
    }
    if (message.method === 'Runtime.consoleAPICalled' && message.params?.type === 'error') {
      this.problems.push(JSON.stringify(message.params).slice(0, 500));
    }
    if (message.method === 'Log.entryAdded')
      this.problems.push(JSON.stringify(message.params).slice(0, 500));
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i];
      if (w && w.method === message.method) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  #send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const message = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer to ${method}`));
      }, TIMEOUT_MS);
      this.#pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m.result ?? {});
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#in.write(`${JSON.stringify(message)}\0`);
    });
  }

  /** A protocol command on the page's session. */
  command(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#send(method, params, this.#session);
  }

  #next(method: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method}`)), TIMEOUT_MS);
      this.#waiters.push({
        method,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Runs `action` (a navigation, a click) and resolves when the next page has loaded. */
  async navigation(action: () => Promise<unknown>): Promise<void> {
    const loaded = this.#next('Page.loadEventFired');
    await action();
    await loaded;
  }

  goto(url: string): Promise<void> {
    return this.navigation(() => this.command('Page.navigate', { url }));
  }

  /** The value of a JavaScript expression, evaluated by the test (not by the page's scripts). */
  async evaluate<T>(expression: string): Promise<T> {
    const answer = await this.command('Runtime.evaluate', { expression, returnByValue: true });
    if (answer.exceptionDetails)
      throw new Error(`evaluate failed: ${JSON.stringify(answer.exceptionDetails)}`);
    return (answer.result as { value: T }).value;
  }

  /** A real mouse click in the middle of the first element matching `selector`. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(
      `(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return null;
        el.scrollIntoView({ block: 'center' }); const r = el.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
    );
    if (box === null) throw new Error(`nothing matches ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.command('Input.dispatchMouseEvent', {
        type,
        x: box.x,
        y: box.y,
        button: 'left',
        clickCount: 1,
      });
    }
  }

  /** Types `text` as keystrokes into the focused element, then presses Enter. */
  async typeAndEnter(text: string): Promise<void> {
    await this.command('Input.insertText', { text });
    await this.command('Input.dispatchKeyEvent', {
      type: 'keyDown',
      key: 'Enter',
      code: 'Enter',
      windowsVirtualKeyCode: 13,
      text: '\r',
    });
    await this.command('Input.dispatchKeyEvent', {
      type: 'keyUp',
      key: 'Enter',
      code: 'Enter',
      windowsVirtualKeyCode: 13,
    });
  }

  /** A PNG of the whole page (not only the viewport). */
  async screenshot(): Promise<Buffer> {
    const metrics = await this.command('Page.getLayoutMetrics');
    const size = metrics.cssContentSize as { width: number; height: number };
    const shot = await this.command('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    });
    return Buffer.from(shot.data as string, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.#child.exitCode !== null) resolve();
      else this.#child.once('exit', () => resolve());
    });
    this.#send('Browser.close').catch(() => {});
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    await rm(this.#profile, { recursive: true, force: true });
  }
}

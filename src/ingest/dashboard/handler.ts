// HTTP routes of the built-in dashboard, for mounting in the ingest server (or any node:http
// server): `GET <base>` is the page, `GET <base>/data.json` the same numbers as JSON.
// `?range=1h` picks a preset; `?from=<ms>&to=<ms>` an explicit range.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from './format.js';
import { PAGE_SCRIPT, renderPage } from './page.js';
import { DEFAULT_PANEL_LIMITS, type PanelLimits, type TimeRange } from './panels.js';
import type { DashboardSource } from './source.js';

export interface DashboardHandlerOptions {
  source: DashboardSource;
  /** Default `/dashboard`. */
  basePath?: string;
  /** Default `1h`. */
  defaultRange?: RangeKey;
  limits?: PanelLimits;
  refreshSeconds?: number;
  now?: () => number;
}

export const RANGES = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
} as const;
export type RangeKey = keyof typeof RANGES;

/** Longest explicit range: bounded work per request. */
const MAX_RANGE_MS = 31 * 24 * 3_600_000;

/** Resolves `true` when the request was for the dashboard (and has been answered). */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

class RangeError400 extends Error {
  override name = 'RangeError400';
}

function parseRange(
  params: URLSearchParams,
  now: number,
  fallback: RangeKey,
): { range: TimeRange; key: string } {
  const from = params.get('from');
  const to = params.get('to');
  if (from !== null || to !== null) {
    const f = Number(from);
    const t = to === null ? now : Number(to);
    if (from === null || !Number.isFinite(f) || !Number.isFinite(t) || f > t) {
      throw new RangeError400('from and to must be epoch milliseconds with from <= to');
    }
    if (t - f > MAX_RANGE_MS)
      throw new RangeError400(`a range may span at most ${MAX_RANGE_MS / 86_400_000} days`);
    return { range: { from: f, to: t }, key: 'custom' };
  }
  const key = params.get('range') ?? fallback;
  if (!Object.hasOwn(RANGES, key)) {
    throw new RangeError400(
      `unknown range ${JSON.stringify(key)}; one of ${Object.keys(RANGES).join(', ')}`,
    );
  }
  return { range: { from: now - RANGES[key as RangeKey], to: now }, key };
}

// The page's only script is fixed text, so the policy allows exactly that script by hash.
const SCRIPT_HASH = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
  });
  res.end(head ? undefined : body);
}

function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>NetBird Client Metrics</title><body style="font:14px system-ui;background:#111217;color:#ccccdc;padding:20px"><h1 style="font-size:18px">NetBird Client Metrics</h1><p id="error">${escapeHtml(message)}</p></body></html>`;
}

export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const base = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const fallback = options.defaultRange ?? '1h';
  const limits = options.limits ?? DEFAULT_PANEL_LIMITS;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const page = path === base || path === `${base}/`;
    const json = path === `${base}/data.json`;
    if (!page && !json) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return true;
    }
    let parsed: ReturnType<typeof parseRange>;
    try {
      parsed = parseRange(url.searchParams, now(), fallback);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (json) send(res, 400, 'application/json', JSON.stringify({ error: message }), head);
      else send(res, 400, 'text/html; charset=utf-8', errorPage(message), head);
      return true;
    }
    // Stop reading when the client goes away (a slow InfluxDB must not pile up work).
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    try {
      const data = await options.source.load(parsed.range, limits, abort.signal);
      if (json) {
        send(
          res,
          200,
          'application/json',
          JSON.stringify({ source: options.source.description, ...data }),
          head,
        );
      } else {
        const html = renderPage(data, {
          source: options.source.description,
          rangeKey: parsed.key,
          ranges: Object.keys(RANGES),
          basePath: base,
          generatedAt: now(),
          ...(options.refreshSeconds !== undefined
            ? { refreshSeconds: options.refreshSeconds }
            : {}),
        });
        send(res, 200, 'text/html; charset=utf-8', html, head);
      }
    } catch (err) {
      if (abort.signal.aborted) return true;
      const message = `could not read metrics from ${options.source.description}: ${err instanceof Error ? err.message : String(err)}`;
      if (json) send(res, 502, 'application/json', JSON.stringify({ error: message }), head);
      else send(res, 502, 'text/html; charset=utf-8', errorPage(message), head);
    }
    return true;
  };
}

// HTTP routes of the built-in dashboard, for mounting in the ingest server (or any node:http
// server): `GET <base>` is the page, `GET <base>/data.json` the same numbers as JSON.
// `?range=1h` picks a preset; `?from=<ms>&to=<ms>` an explicit range; neither fits the default
// preset to the data there is. Tag parameters (`?os=ios&connection_type=relay`) filter.
//
// The work behind a page is bounded whatever is asked and whatever the store holds: identical
// requests share one load (and a result for a few seconds), only a few loads run at once with a
// short queue behind them (past it: 503 with Retry-After), a load stops when no one waits for
// it any more, and the page itself is bounded by the panel limits.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from './format.js';
import { PAGE_SCRIPT, renderPage } from './page.js';
import { type DashboardData, DEFAULT_PANEL_LIMITS, type PanelLimits } from './panels.js';
import { parseDashboardRequest, RANGES, type RangeKey } from './request.js';
import { SharedLoads } from './shared-loads.js';
import type { DashboardSource } from './source.js';
import { DashboardBusyError, WorkLimiter } from './work-limiter.js';

export { RANGES, type RangeKey } from './request.js';

export interface DashboardHandlerOptions {
  source: DashboardSource;
  /** Default `/dashboard`. */
  basePath?: string;
  /**
   * Preset loaded for a request that names no range, which then shows it from the first
   * sample on (fitted to the data); default `24h`.
   */
  defaultRange?: RangeKey;
  limits?: PanelLimits;
  refreshSeconds?: number;
  now?: () => number;
  /** Loads run at once; default 2. */
  maxConcurrentLoads?: number;
  /** Loads waiting for a slot before requests are refused with 503; default 8. */
  maxQueuedLoads?: number;
  /** How long identical requests reuse a result, ms; default 5000 (0: only while loading). */
  cacheTtlMs?: number;
  /** Retry-After of a 503 when busy, seconds; default 5. */
  retryAfterSeconds?: number;
}

/** Resolves `true` when the request was for the dashboard (and has been answered). */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

// The page's only script is fixed text, so the policy allows exactly that script by hash.
const SCRIPT_HASH = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

/** The preset a request without a range loads (and fits to the data), unless configured. */
export const DEFAULT_FIT_RANGE: RangeKey = '24h';

/** Results kept for reuse: the presets and a few explicit ranges. */
const CACHE_ENTRIES = 8;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  head: boolean,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    ...extra,
  });
  res.end(head ? undefined : body);
}

function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>NetBird Client Metrics</title><body style="font:14px system-ui;background:#111217;color:#ccccdc;padding:20px"><h1 style="font-size:18px">NetBird Client Metrics</h1><p id="error">${escapeHtml(message)}</p></body></html>`;
}

function sendError(
  res: ServerResponse,
  status: number,
  json: boolean,
  message: string,
  head: boolean,
  extra: Record<string, string> = {},
) {
  if (json) send(res, status, 'application/json', JSON.stringify({ error: message }), head, extra);
  else send(res, status, 'text/html; charset=utf-8', errorPage(message), head, extra);
}

export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const base = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const fallback = options.defaultRange ?? DEFAULT_FIT_RANGE;
  const limits = options.limits ?? DEFAULT_PANEL_LIMITS;
  const limiter = new WorkLimiter(options.maxConcurrentLoads ?? 2, options.maxQueuedLoads ?? 8);
  const loads = new SharedLoads<DashboardData>({
    ttlMs: options.cacheTtlMs ?? 5000,
    maxEntries: CACHE_ENTRIES,
    now,
  });
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  return async (req, res) => {
    const request = parseDashboardRequest(req.url ?? '/', base, now(), fallback);
    if (request.kind === 'not-mine') return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return true;
    }
    if (request.kind === 'bad') {
      sendError(res, 400, request.json, request.message, head);
      return true;
    }
    // Stop reading when the client goes away (a slow InfluxDB or a big store must not pile up work).
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    let data: DashboardData;
    try {
      data = await loads.get(request.cacheKey, abort.signal, (signal) =>
        limiter.run(signal, () =>
          options.source.load(request.range, limits, signal, request.filters, request.fit),
        ),
      );
    } catch (err) {
      if (abort.signal.aborted) return true;
      if (err instanceof DashboardBusyError) {
        const message = 'the dashboard is busy; try again shortly';
        sendError(res, 503, request.json, message, head, { 'retry-after': retryAfter });
        return true;
      }
      const message = `could not read metrics from ${options.source.description}: ${err instanceof Error ? err.message : String(err)}`;
      sendError(res, 502, request.json, message, head);
      return true;
    }
    if (request.json) {
      const body = JSON.stringify({ source: options.source.description, ...data });
      send(res, 200, 'application/json', body, head);
      return true;
    }
    const html = renderPage(data, {
      source: options.source.description,
      rangeKey: request.rangeKey,
      ranges: Object.keys(RANGES),
      basePath: base,
      generatedAt: now(),
      filters: request.filters,
      fit: request.fit,
      ...(options.refreshSeconds !== undefined ? { refreshSeconds: options.refreshSeconds } : {}),
    });
    send(res, 200, 'text/html; charset=utf-8', html, head);
    return true;
  };
}

// What a dashboard request asks for, read from its target alone. Pure. Anything a client can get
// wrong (a malformed target, an absurd or repeated parameter) is a 400 with the reason, never a
// 5xx, which would tell clients and proxies to try again.
import {
  FILTER_TAGS,
  type Filters,
  type FilterTag,
  filtersKey,
  MAX_FILTER_VALUE_LENGTH,
} from './filters.js';
import type { TimeRange } from './panels.js';

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
export const MAX_RANGE_MS = 31 * 24 * 3_600_000;

/** Latest time InfluxDB can store (2262-04-11, int64 nanoseconds), in whole milliseconds. */
export const MAX_TIME_MS = 9_223_372_036_854;

export type DashboardRequest =
  | { readonly kind: 'not-mine' }
  | { readonly kind: 'bad'; readonly json: boolean; readonly message: string }
  | {
      readonly kind: 'ok';
      readonly json: boolean;
      /** The range to load; a fit request's result narrows it to the data. */
      readonly range: TimeRange;
      /** A preset's key, or `custom` for an explicit from/to. */
      readonly rangeKey: string;
      /**
       * No range, from or to was given: the default preset is loaded and the result's range
       * narrowed to start where the data does, so a short burst fills the plots.
       */
      readonly fit: boolean;
      readonly filters: Filters;
      /** Equal for requests that must show the same data (presets follow the clock). */
      readonly cacheKey: string;
    };

class BadRequest extends Error {
  override name = 'BadRequest';
}

/** One value of a parameter, or undefined; a repeated one is refused (which would count?). */
function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new BadRequest(`parameter ${name} is given ${all.length} times`);
  return all[0];
}

function epochMs(text: string, name: string): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= MAX_TIME_MS)) {
    throw new BadRequest(
      `from and to must be epoch milliseconds with from <= to (${name} must be a whole number from 0 to ${MAX_TIME_MS})`,
    );
  }
  return value;
}

const utf8 = new TextEncoder();

/** One value per filter tag; an empty or over-long one is refused (no stored tag matches it). */
function parseFilters(params: URLSearchParams): Filters {
  const filters: Partial<Record<FilterTag, string>> = {};
  for (const tag of FILTER_TAGS) {
    const value = single(params, tag);
    if (value === undefined) continue;
    if (value === '') throw new BadRequest(`filter ${tag} is empty`);
    if (
      value.length > MAX_FILTER_VALUE_LENGTH ||
      utf8.encode(value).length > MAX_FILTER_VALUE_LENGTH
    ) {
      throw new BadRequest(
        `filter ${tag} is longer than ${MAX_FILTER_VALUE_LENGTH} bytes, longer than any tag value`,
      );
    }
    filters[tag] = value;
  }
  return filters;
}

function parseRange(
  params: URLSearchParams,
  now: number,
  fallback: RangeKey,
): { range: TimeRange; rangeKey: string; fit: boolean; cacheKey: string } {
  const from = single(params, 'from');
  const to = single(params, 'to');
  const preset = single(params, 'range');
  if (from !== undefined || to !== undefined) {
    if (from === undefined)
      throw new BadRequest(
        'from and to must be epoch milliseconds with from <= to (from is missing)',
      );
    const f = epochMs(from, 'from');
    const t = to === undefined ? Math.min(now, MAX_TIME_MS) : epochMs(to, 'to');
    if (f > t) throw new BadRequest('from and to must be epoch milliseconds with from <= to');
    if (t - f > MAX_RANGE_MS)
      throw new BadRequest(`a range may span at most ${MAX_RANGE_MS / 86_400_000} days`);
    const cacheKey = to === undefined ? `from:${f}:now` : `from:${f}:to:${t}`;
    return { range: { from: f, to: t }, rangeKey: 'custom', fit: false, cacheKey };
  }
  const key = preset ?? fallback;
  if (!Object.hasOwn(RANGES, key)) {
    throw new BadRequest(
      `unknown range ${JSON.stringify(key.slice(0, 40))}; one of ${Object.keys(RANGES).join(', ')}`,
    );
  }
  const fit = preset === undefined;
  return {
    range: { from: now - RANGES[key as RangeKey], to: now },
    rangeKey: key,
    fit,
    cacheKey: `${fit ? 'fit' : 'range'}:${key}`,
  };
}

/**
 * Reads a request target (`req.url`: origin-form or absolute-form) for the dashboard at `base`
 * (no trailing slash). `not-mine` when the path is neither the page nor its data.json; a
 * malformed target that names the dashboard is `bad`. `fallback` is the preset of a request
 * that names no range (a fit request). Parameters it does not know are ignored.
 */
export function parseDashboardRequest(
  target: string,
  base: string,
  now: number,
  fallback: RangeKey,
): DashboardRequest {
  let url: URL;
  try {
    url = new URL(target, 'http://localhost');
  } catch {
    return target.includes(base)
      ? {
          kind: 'bad',
          json: target.includes(`${base}/data.json`),
          message: 'malformed request target',
        }
      : { kind: 'not-mine' };
  }
  const path = url.pathname;
  const page = path === base || path === `${base}/`;
  const json = path === `${base}/data.json`;
  if (!page && !json) return { kind: 'not-mine' };
  try {
    const range = parseRange(url.searchParams, now, fallback);
    const filters = parseFilters(url.searchParams);
    const cacheKey = `${range.cacheKey}|${filtersKey(filters)}`;
    return { kind: 'ok', json, ...range, filters, cacheKey };
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    return { kind: 'bad', json, message: error.message };
  }
}

// The URLs of the page: every view (range and filters) is a plain GET URL, so it can be shared,
// bookmarked and followed without JavaScript. Pure.
import { type FILTER_TAGS, type Filters, filterEntries } from '../filters.js';
import type { TimeRange } from '../panels.js';

/** What a view is, as far as its URL goes. */
export interface View {
  readonly basePath: string;
  /** A preset's key, or `custom` for an explicit from/to. */
  readonly rangeKey: string;
  /** The presets, to tell a preset from a custom range. */
  readonly ranges: readonly string[];
  /** A request without range parameters: the default preset narrowed to the data. */
  readonly fit: boolean;
  /** The range asked for (a custom range is kept as from/to). */
  readonly range: TimeRange;
  readonly filters: Filters;
}

/** The range parameters of a view: none for a fit view, `range` or `from`/`to` otherwise. */
export function rangeParams(view: View): Array<[string, string]> {
  if (view.fit) return [];
  if (view.ranges.includes(view.rangeKey)) return [['range', view.rangeKey]];
  return [
    ['from', String(view.range.from)],
    ['to', String(view.range.to)],
  ];
}

/** `base?a=1&b=2`, or `base` without parameters. */
function url(base: string, params: Array<[string, string]>): string {
  const query = new URLSearchParams(params).toString();
  return query === '' ? base : `${base}?${query}`;
}

/** The view's URL with `filters` instead of its own (the range kept). */
export function withFilters(view: View, filters: Filters): string {
  return url(view.basePath, [...rangeParams(view), ...filterEntries(filters)]);
}

/** The view's URL with one filter set (a breakdown row) or replaced. */
export function addFilter(view: View, tag: (typeof FILTER_TAGS)[number], value: string): string {
  return withFilters(view, { ...view.filters, [tag]: value });
}

/** The view's URL without the filter on `tag` (a chip's link). */
export function removeFilter(view: View, tag: (typeof FILTER_TAGS)[number]): string {
  const rest: Partial<Record<(typeof FILTER_TAGS)[number], string>> = { ...view.filters };
  delete rest[tag];
  return withFilters(view, rest);
}

/** The URL of a range preset (or of the fit view, `undefined`), the filters kept. */
export function withRange(view: View, preset: string | undefined): string {
  const range: Array<[string, string]> = preset === undefined ? [] : [['range', preset]];
  return url(view.basePath, [...range, ...filterEntries(view.filters)]);
}

/** The view's own URL, for the refresh. */
export function selfUrl(view: View): string {
  return withFilters(view, view.filters);
}

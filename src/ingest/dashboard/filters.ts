// Dashboard filters: query parameters named after the tags an operator slices by
// (`?connection_type=relay&os=ios&version=0.61.0`), so a view is a URL that can be shared. Pure.
import { MEASUREMENTS, type MeasurementName } from '../../protocol/schema.js';

/** The tags a dashboard can be filtered by, in the order chips are shown. */
export const FILTER_TAGS = [
  'connection_type',
  'attempt_type',
  'os',
  'arch',
  'version',
  'deployment_type',
] as const;
export type FilterTag = (typeof FILTER_TAGS)[number];

/** One value per filtered tag; a tag left out is not filtered. */
export type Filters = Readonly<Partial<Record<FilterTag, string>>>;

/** The longest filter value accepted: no stored tag value is longer (64 UTF-8 bytes). */
export const MAX_FILTER_VALUE_LENGTH = 64;

/** The filters in {@link FILTER_TAGS} order, as `[tag, value]` pairs. */
export function filterEntries(filters: Filters): Array<[FilterTag, string]> {
  const out: Array<[FilterTag, string]> = [];
  for (const tag of FILTER_TAGS) {
    const value = filters[tag];
    if (value !== undefined) out.push([tag, value]);
  }
  return out;
}

/**
 * Whether a measurement has the tag. A filter on a tag a measurement does not have (the
 * connection type of a sync) leaves that measurement unfiltered: a sync has no connection type,
 * and hiding every sync when an operator looks at relay connections would hide nothing useful.
 */
export function measurementHasTag(measurement: MeasurementName, tag: FilterTag): boolean {
  return (MEASUREMENTS[measurement].tags as readonly string[]).includes(tag);
}

/** Whether a sample of `measurement` with `tags` passes every filter that applies to it. */
export function matchesFilters(
  measurement: MeasurementName,
  tags: Readonly<Record<string, string>>,
  filters: Filters,
): boolean {
  for (const tag of FILTER_TAGS) {
    const want = filters[tag];
    if (want === undefined || !measurementHasTag(measurement, tag)) continue;
    if (tags[tag] !== want) return false;
  }
  return true;
}

/** A stable text for the filters, for cache keys: equal filters give equal text. */
export function filtersKey(filters: Filters): string {
  return filterEntries(filters)
    .map(([tag, value]) => `${tag}=${encodeURIComponent(value)}`)
    .join('&');
}

// The dashboard's filters as InfluxQL conditions. A filter value comes from a visitor's URL, so
// it is only ever written inside a string literal, escaped the way InfluxQL's scanner reads
// one; tag keys are double-quoted identifiers. Pure.
import { type MeasurementName, measurementSchema } from '../../protocol/schema.js';
import { type Filters, filterEntries, measurementHasTag } from './filters.js';
import { sampleTimeFilter } from './influxql-queries.js';
import type { TimeRange } from './panels.js';

/**
 * `value` as an InfluxQL string literal. The scanner knows four escapes (`\\`, `\'`, `\"`, `\n`)
 * and refuses a raw newline, so backslash, quote and newline are escaped and nothing else is.
 */
export function influxqlString(value: string): string {
  return `'${value.replace(/[\\'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}'`;
}

/** `name` as a double-quoted InfluxQL identifier (a tag or field key). */
export function influxqlIdentifier(name: string): string {
  return `"${name.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;
}

/** `"tag" = 'value'`; with the empty value, it matches the points without the tag. */
export function tagEquals(tag: string, value: string): string {
  return `${influxqlIdentifier(tag)} = ${influxqlString(value)}`;
}

/** `"tag" != 'value'`; points without the tag pass it. */
export function tagDiffers(tag: string, value: string): string {
  return `${influxqlIdentifier(tag)} != ${influxqlString(value)}`;
}

/** Conditions joined with AND; `undefined` when there are none. */
export function allOf(conditions: readonly string[]): string | undefined {
  return conditions.length === 0 ? undefined : conditions.join(' AND ');
}

/** Conditions joined with OR, in parentheses; `undefined` when there are none. */
export function anyOf(conditions: readonly string[]): string | undefined {
  return conditions.length === 0 ? undefined : `(${conditions.join(' OR ')})`;
}

/**
 * The filters that apply to `measurement`, as one condition (`undefined` when none does). A
 * filter on a tag the measurement lacks is left out, so it leaves that measurement unfiltered,
 * as the sample source does.
 */
export function filterCondition(
  measurement: MeasurementName,
  filters: Filters,
): string | undefined {
  return allOf(
    filterEntries(filters)
      .filter(([tag]) => measurementHasTag(measurement, tag))
      .map(([tag, value]) => tagEquals(tag, value)),
  );
}

// The panel queries put every time filter right after the measurement it restricts, so the
// measurement a filter clause is for can be read off the text.
const MEASUREMENT_WHERE = /FROM "([a-z_]+)" WHERE \$timeFilter/g;

/**
 * A query with `$timeFilter` (the panel queries) restricted by the filters as well: each
 * `FROM "<measurement>" WHERE $timeFilter` gets that measurement's condition beside the time
 * filter, inside subqueries too.
 */
export function withFilters(query: string, filters: Filters): string {
  return query.replace(MEASUREMENT_WHERE, (whole, name: string) => {
    if (measurementSchema(name) === undefined) return whole;
    const condition = filterCondition(name as MeasurementName, filters);
    return condition === undefined ? whole : `${whole} AND ${condition}`;
  });
}

/** What every insight query is restricted to: a range of sample times and the filters. */
export interface QueryScope {
  readonly range: TimeRange;
  readonly filters: Filters;
}

/**
 * `WHERE` for one measurement: the samples in the scope's range that pass its filters, and the
 * `extra` conditions (each a single term or parenthesised, as {@link anyOf} makes them).
 */
export function whereClause(
  measurement: MeasurementName,
  scope: QueryScope,
  ...extra: readonly (string | undefined)[]
): string {
  const terms = [sampleTimeFilter(scope.range), filterCondition(measurement, scope.filters)];
  for (const term of extra) terms.push(term);
  return `WHERE ${terms.filter((t) => t !== undefined).join(' AND ')}`;
}

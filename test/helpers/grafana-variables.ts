// What Grafana does with the dashboards' template variables before a query reaches the backend,
// and which samples a setting of them selects, so e2e tests can run the dashboards' queries as
// Grafana would and compute the expected answers from the samples themselves.
import { FILTER_TAGS } from '../../grafana/variables.js';
import { MEASUREMENTS, type MeasurementName } from '../../src/protocol/schema.js';

/** The tag variables of the dashboards: one value or several; a missing one is "All". */
export type VariableValues = Partial<Record<string, string | readonly string[]>>;

/** Grafana's regex escape of one value of a multi-value variable. */
const regexEscape = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/**
 * A query with the variables replaced as Grafana formats a multi-select variable in a regex: one
 * value → that value regex-escaped, several → `(a|b)`, unset → the variables' "All" value `.*`.
 * `escapeForPromString` doubles the backslashes, as Grafana's Prometheus datasource does for a
 * value that ends up inside a PromQL string.
 */
export function interpolate(
  query: string,
  values: VariableValues,
  builtins: Record<string, string>,
  escapeForPromString = false,
): string {
  return query.replace(/\$(\w+)/g, (whole, name: string) => {
    if (Object.hasOwn(builtins, name)) return builtins[name] as string;
    if (!(FILTER_TAGS as readonly string[]).includes(name)) return whole;
    const value = values[name];
    if (value === undefined) return '.*';
    const list = typeof value === 'string' ? [value] : value;
    const one = (v: string) => {
      const escaped = regexEscape(v);
      return escapeForPromString ? escaped.replace(/\\/g, '\\\\') : escaped;
    };
    return list.length === 1 ? one(list[0] as string) : `(${list.map(one).join('|')})`;
  });
}

interface TaggedSample {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The samples a variable setting keeps: a variable narrows only measurements with its tag. */
export function selected<S extends TaggedSample>(
  samples: readonly S[],
  measurement: MeasurementName,
  values: VariableValues,
): S[] {
  const tags: readonly string[] = MEASUREMENTS[measurement].tags;
  return samples.filter(
    (s) =>
      s.measurement === measurement &&
      Object.entries(values).every(
        ([tag, v]) =>
          v === undefined ||
          !tags.includes(tag) ||
          (typeof v === 'string' ? [v] : v).includes(s.tags[tag] ?? ''),
      ),
  );
}

/** The `n` most frequent values of a tag among a measurement's samples. */
export function commonestValues(
  samples: readonly TaggedSample[],
  measurement: string,
  tag: string,
  n: number,
): string[] {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const v = s.tags[tag];
    if (s.measurement === measurement && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (ranked.length < n) throw new Error(`fewer than ${n} values of ${tag} in ${measurement}`);
  return ranked.slice(0, n).map(([v]) => v);
}

/** The most frequent value of a tag among a measurement's samples. */
export function commonest(samples: readonly TaggedSample[], measurement: string, tag: string) {
  return commonestValues(samples, measurement, tag, 1)[0] as string;
}

/**
 * InfluxQL's PERCENTILE: the element at rank floor(n·p/100 + 0.5) of the sorted values (from 1),
 * none when that rank is 0.
 */
export function nearestRank(values: readonly number[], p: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.floor((sorted.length * p) / 100 + 0.5) - 1;
  return i < 0 || i >= sorted.length ? undefined : sorted[i];
}

/** The groups of `values` by `key`. */
export function groupBy<T>(values: readonly T[], key: (v: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const v of values) {
    const k = key(v);
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  }
  return out;
}

/**
 * Checks a top-k answer: as many groups as k allows, each with its expected value, and no group
 * left out that ranks above one that was kept.
 */
export function checkTopK(
  got: ReadonlyMap<string, number>,
  expected: ReadonlyMap<string, number>,
  k: number,
  close: (actual: number, want: number, what: string) => void,
): void {
  if (got.size !== Math.min(k, expected.size)) {
    throw new Error(`top ${k}: ${got.size} groups, expected ${Math.min(k, expected.size)}`);
  }
  for (const [key, v] of got) {
    const want = expected.get(key);
    if (want === undefined) throw new Error(`top ${k}: unexpected group ${key}`);
    close(v, want, key);
  }
  const lowestKept = Math.min(...got.values());
  for (const [key, want] of expected) {
    if (!got.has(key) && want > lowestKept + 1e-12) {
      throw new Error(`top ${k}: ${key} (${want}) left out above ${lowestKept}`);
    }
  }
}

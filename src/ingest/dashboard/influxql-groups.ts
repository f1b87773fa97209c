// Choosing the groups of a breakdown in InfluxDB: the labels of one tag with the most samples,
// ties to the label first in byte order, every other label merged into "other", and a sample
// without the tag counted under "unknown" (with any stored "unknown"). However many distinct
// values the tag has, each answer is a handful of rows.
import type { MeasurementName } from '../../protocol/schema.js';
import { firstValue, rows, type Series } from './influxql-client.js';
import {
  allOf,
  anyOf,
  influxqlIdentifier,
  type QueryScope,
  tagDiffers,
  tagEquals,
  whereClause,
} from './influxql-filters.js';
import { displayLabel } from './labels.js';

/** What is grouped: samples of `measurement` with `field`, by the value of `tag`. */
export interface GroupingSpec {
  readonly measurement: MeasurementName;
  readonly field: string;
  readonly tag: string;
  /** Values shown apart whatever their count (the known sync phases): neither chosen nor "other". */
  readonly excluded?: readonly string[];
}

/** One chosen group: its label, the condition selecting its samples, and their count. */
export interface ChosenGroup {
  readonly label: string;
  readonly condition: string;
  readonly count: number;
}

export interface Grouping {
  /** Most samples first, ties by label in byte order. */
  readonly groups: readonly ChosenGroup[];
  /** Samples in no chosen group (and no excluded value); 0 when there is no "other". */
  readonly otherCount: number;
  /** Selects the samples of "other". */
  readonly otherCondition: string | undefined;
}

/** The label of samples without the tag. */
export const UNKNOWN_LABEL = 'unknown';

/** Byte order of the UTF-8 encodings, InfluxDB's order of tag values. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface Candidate {
  /** Stored values counted under this label. */
  readonly raw: readonly string[];
  readonly label: string;
  readonly count: number;
}

const byCountThenLabel = (a: Candidate, b: Candidate) =>
  b.count - a.count || byteOrder(a.label, b.label);

/**
 * Chooses the groups in up to two rounds. First the `maxGroups + 1` largest counts (InfluxQL's
 * `top` over a count per tag value), the "unknown" count and the total. `top` breaks ties in no
 * documented order, so when the last label chosen ties with a label `top` may have left out,
 * a second statement lists the labels of exactly that count, which InfluxDB returns in series
 * order, i.e. by tag value in byte order.
 */
export class GroupChooser {
  readonly #candidates: Candidate[] = [];
  #total = 0;
  #tieCount: number | undefined;

  constructor(
    readonly scope: QueryScope,
    readonly spec: GroupingSpec,
    readonly maxGroups: number,
  ) {}

  /** Counts per value of the tag, without the values handled elsewhere or as "unknown". */
  #countsByValue(): string {
    const { measurement, field, tag } = this.spec;
    const named = allOf(
      [...(this.spec.excluded ?? []), '', UNKNOWN_LABEL].map((v) => tagDiffers(tag, v)),
    );
    return `SELECT count(${influxqlIdentifier(field)}) AS "n" FROM ${influxqlIdentifier(measurement)} ${whereClause(measurement, this.scope, named)} GROUP BY ${influxqlIdentifier(tag)}`;
  }

  #count(condition: string | undefined): string {
    const { measurement, field } = this.spec;
    return `SELECT count(${influxqlIdentifier(field)}) AS "n" FROM ${influxqlIdentifier(measurement)} ${whereClause(measurement, this.scope, condition)}`;
  }

  #unknownCondition(): string {
    return anyOf([tagEquals(this.spec.tag, ''), tagEquals(this.spec.tag, UNKNOWN_LABEL)]) ?? '';
  }

  /** First round: the largest counts, the "unknown" count, the total. */
  countStatements(): string[] {
    const tag = influxqlIdentifier(this.spec.tag);
    const notExcluded = allOf((this.spec.excluded ?? []).map((v) => tagDiffers(this.spec.tag, v)));
    return [
      `SELECT top("n", ${tag}, ${this.maxGroups + 1}) FROM (${this.#countsByValue()})`,
      this.#count(this.#unknownCondition()),
      this.#count(notExcluded),
    ];
  }

  /** Reads the first round; returns the tie statement when a second round is needed. */
  readCounts(results: readonly (readonly Series[])[]): string | undefined {
    const top = [...rows(results[0] ?? [])].flatMap((row) => {
      const count = row.get('top') ?? 0;
      const raw = row.raw(this.spec.tag);
      return typeof raw === 'string' && count > 0
        ? [{ raw: [raw], label: displayLabel(raw), count }]
        : [];
    });
    this.#candidates.push(...top);
    const unknown = firstValue(results[1], 'n') ?? 0;
    if (unknown > 0)
      this.#candidates.push({ raw: ['', UNKNOWN_LABEL], label: UNKNOWN_LABEL, count: unknown });
    this.#total = firstValue(results[2], 'n') ?? 0;
    this.#candidates.sort(byCountThenLabel);
    const last = this.#candidates[this.maxGroups - 1];
    const smallestTop = top.reduce((m, c) => Math.min(m, c.count), Number.POSITIVE_INFINITY);
    // All values were listed, or every value left out has fewer samples than the last chosen.
    if (top.length <= this.maxGroups || last === undefined || smallestTop < last.count)
      return undefined;
    this.#tieCount = last.count;
    return `SELECT "n", ${influxqlIdentifier(this.spec.tag)} FROM (${this.#countsByValue()}) WHERE "n" = ${last.count} LIMIT ${this.maxGroups}`;
  }

  /** Reads the second round: the labels first in byte order among those of the tied count. */
  readTie(series: readonly Series[]): void {
    const tie = this.#tieCount;
    if (tie === undefined) return;
    const kept = this.#candidates.filter((c) => c.count !== tie || c.label === UNKNOWN_LABEL);
    for (const row of rows(series)) {
      const raw = row.raw(this.spec.tag);
      if (typeof raw === 'string' && row.get('n') === tie) {
        kept.push({ raw: [raw], label: displayLabel(raw), count: tie });
      }
    }
    this.#candidates.splice(0, this.#candidates.length, ...kept.sort(byCountThenLabel));
  }

  result(): Grouping {
    const chosen = this.#candidates.slice(0, this.maxGroups);
    const tag = this.spec.tag;
    const groups = chosen.map((c) => ({
      label: c.label,
      condition: c.raw.length === 1 ? tagEquals(tag, c.raw[0] as string) : this.#unknownCondition(),
      count: c.count,
    }));
    const shown = groups.reduce((n, g) => n + g.count, 0);
    const otherCount = Math.max(0, this.#total - shown);
    const otherCondition = allOf(
      [...(this.spec.excluded ?? []), ...chosen.flatMap((c) => c.raw)].map((v) =>
        tagDiffers(tag, v),
      ),
    );
    return { groups, otherCount, otherCondition };
  }
}

// Breakdowns by a tag and the sync-phase table, from the counters and durations a scan kept:
// the labels with the most samples on their own rows, the rest merged into one "other" row whose
// value is computed over all of their samples (not a sum of values). Labels are shown as
// `displayLabel` shows them (what the ingest stores is printable ASCII, and stays as it is). Pure.
import { SYNC_PHASES } from '../../protocol/schema.js';
import {
  type Breakdown,
  type BreakdownRow,
  bucketOf,
  type PhaseRow,
  type SyncPhases,
  type TimeBuckets,
} from './insights.js';
import type { IdCounts, LabelIds } from './label-ids.js';
import { displayLabel } from './labels.js';
import { mergedSegments, nearestRanks, orNull, segmentsBy } from './ranked-segments.js';
import type { StepTallies } from './step-tallies.js';
import { OTHER_LABEL } from './top-counts.js';
import type { ValueSeries } from './value-series.js';

export interface BreakdownInput {
  readonly ids: LabelIds;
  /** Samples per label id. */
  readonly counts: IdCounts;
  readonly maxGroups: number;
}

/** What a breakdown row's value is: a percentile of the group's durations, a share, a count. */
export type BreakdownValue =
  | { readonly unit: 'seconds'; readonly series: ValueSeries; readonly percentile: number }
  | { readonly unit: 'ratio'; readonly numerator: IdCounts }
  | { readonly unit: 'count' };

/** Tag values compare by code unit, which for the printable ASCII they are is byte order. */
function byLabel(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The `maxShown` ids of `candidates` with the most samples (ties: label ascending), largest
 * first, and the rest (with the shared untracked id when it has samples).
 */
export function topIds(
  input: BreakdownInput,
  candidates: readonly number[],
): { shown: number[]; rest: number[] } {
  const { ids, counts } = input;
  const label = (id: number) => ids.labels[id] ?? '';
  const sorted = candidates
    .filter((id) => counts.get(id) > 0)
    .sort((a, b) => counts.get(b) - counts.get(a) || byLabel(label(a), label(b)));
  const rest = sorted.slice(input.maxGroups);
  if (counts.get(ids.untracked) > 0) rest.push(ids.untracked);
  return { shown: sorted.slice(0, input.maxGroups), rest };
}

function allIds(ids: LabelIds): number[] {
  return ids.labels.map((_, id) => id);
}

function sum(ids: readonly number[], of: IdCounts): number {
  let n = 0;
  for (const id of ids) n += of.get(id);
  return n;
}

/** How a group's value is computed from its label ids and its sample count. */
function groupValue(
  input: BreakdownInput,
  value: BreakdownValue,
): (group: readonly number[], count: number) => number | null {
  switch (value.unit) {
    case 'count':
      return (_, count) => count;
    case 'ratio':
      return (group, count) => (count === 0 ? null : sum(group, value.numerator) / count);
    case 'seconds': {
      const { values, groups } = value.series;
      const byGroup = segmentsBy(values, input.ids.untracked + 1, (i) => groups[i] as number);
      return (group) => orNull(nearestRanks(mergedSegments(byGroup, group), [value.percentile])[0]);
    }
  }
}

/** One breakdown: top groups by sample count, then "other" over the rest's samples. */
export function breakdown(input: BreakdownInput, value: BreakdownValue): Breakdown {
  const { shown, rest } = topIds(input, allIds(input.ids));
  const compute = groupValue(input, value);
  const row = (label: string, group: readonly number[]): BreakdownRow => {
    const count = sum(group, input.counts);
    return { label, value: compute(group, count), count };
  };
  const rows: BreakdownRow[] = shown.map((id) =>
    row(displayLabel(input.ids.labels[id] ?? ''), [id]),
  );
  if (rest.length > 0) rows.push({ ...row(OTHER_LABEL, rest), other: true });
  return { unit: value.unit, rows };
}

export interface PhaseInput {
  readonly series: ValueSeries;
  /** Phase ids; the known phases are pinned first, in the order a sync runs them. */
  readonly ids: LabelIds;
  readonly counts: IdCounts;
  readonly sums: IdCounts;
  readonly max: IdCounts;
  /** Exact seconds per bucket by phase id, once the series keeps only a sample. */
  readonly tallies: ReadonlyMap<number, StepTallies> | undefined;
  readonly buckets: TimeBuckets;
  readonly maxGroups: number;
  readonly syncTotalSeconds: number;
  /** Sum of sync durations per bucket. */
  readonly syncSecondsOverTime: readonly number[];
}

/** Rows as groups of phase ids: known phases seen, the largest unknown ones by name, "other". */
function phaseGroups(input: PhaseInput): Array<{ phase: string; ids: number[] }> {
  const known = SYNC_PHASES.map((_, id) => id).filter((id) => input.counts.get(id) > 0);
  const unknown = allIds(input.ids).slice(SYNC_PHASES.length);
  const { shown, rest } = topIds(input, unknown);
  const label = (id: number) => input.ids.labels[id] ?? '';
  shown.sort((a, b) => byLabel(label(a), label(b)));
  const groups = [...known, ...shown].map((id) => ({ phase: displayLabel(label(id)), ids: [id] }));
  if (rest.length > 0) groups.push({ phase: OTHER_LABEL, ids: rest });
  return groups;
}

/** The sync-phase table and the seconds of each phase per bucket. */
export function syncPhases(input: PhaseInput): SyncPhases {
  const groups = phaseGroups(input);
  const { series, syncTotalSeconds } = input;
  const phaseOf = series.groups;
  const byPhase = segmentsBy(series.values, input.ids.untracked + 1, (i) => phaseOf[i] as number);
  const rows: PhaseRow[] = groups.map(({ phase, ids }) => {
    const [p50, p95, p99] = nearestRanks(mergedSegments(byPhase, ids), [50, 95, 99]);
    const totalSeconds = sum(ids, input.sums);
    return {
      phase,
      quantiles: {
        count: sum(ids, input.counts),
        p50,
        p95,
        p99,
        max: Math.max(...ids.map((id) => input.max.get(id))),
      },
      totalSeconds,
      shareOfSync: syncTotalSeconds === 0 ? null : totalSeconds / syncTotalSeconds,
    };
  });
  return {
    rows,
    secondsOverTime: secondsOverTime(input, groups),
    syncTotalSeconds,
    syncSecondsOverTime: input.syncSecondsOverTime,
  };
}

function secondsOverTime(
  input: PhaseInput,
  groups: ReadonlyArray<{ ids: readonly number[] }>,
): number[][] {
  const { buckets, series, tallies } = input;
  const out = groups.map(() => new Array<number>(buckets.count).fill(0));
  const rowOf = new Map<number, number>();
  groups.forEach((g, row) => {
    for (const id of g.ids) rowOf.set(id, row);
  });
  if (tallies !== undefined) {
    for (const [id, tally] of tallies) {
      const row = out[rowOf.get(id) ?? -1];
      if (row === undefined) continue;
      tally.rows(buckets).forEach((cells, b) => {
        row[b] = (row[b] as number) + (cells[0] ?? 0);
      });
    }
    return out;
  }
  const { times, values, groups: ids } = series;
  for (let i = 0; i < times.length; i++) {
    const row = out[rowOf.get(ids[i] as number) ?? -1];
    const b = bucketOf(buckets, times[i] as number);
    if (row !== undefined && b >= 0) row[b] = (row[b] as number) + (values[i] as number);
  }
  return out;
}

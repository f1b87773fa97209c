// The data of the eight panels of NetBird's client-metrics Grafana dashboard, computed
// from timestamped samples. Pure and streaming: `PanelAccumulator.add` takes one sample at a
// time, memory is bounded (point plots keep a deterministic reservoir, the pair table has a cap,
// groups by a client-chosen label are the largest few plus "other", labels are cut and shown
// escaped), and extremes, averages and counts stay exact whatever the bounds drop. The operator
// views (percentiles, breakdowns, sync phases) are computed in the same pass, over the same
// filtered samples.
import type { Sample } from '../../protocol/schema.js';
import type { Filters } from './filters.js';
import type { Insights } from './insights.js';
import { drain, InsightsAccumulator } from './insights-accumulator.js';
import { displayLabel } from './labels.js';
import { sampleFilter } from './sample-filter.js';
import { SeededRandom } from './seeded-random.js';
import { BoundedCounts, DEFAULT_GROUP_LIMITS, OTHER_LABEL, type Slice } from './top-counts.js';

export type { Slice } from './top-counts.js';

export const PANELS = [
  { id: 'sync-duration-extremes', title: 'Sync Duration Extremes', kind: 'stat' },
  { id: 'total-connection-time-extremes', title: 'Total Connection Time Extremes', kind: 'stat' },
  { id: 'sync-duration', title: 'Sync Duration', kind: 'points' },
  { id: 'ice-vs-relay', title: 'ICE vs Relay', kind: 'donut' },
  { id: 'connection-stage-durations', title: 'Connection Stage Durations (avg)', kind: 'bars' },
  { id: 'total-connection-time', title: 'Total Connection Time', kind: 'points' },
  { id: 'login-duration', title: 'Login Duration', kind: 'points' },
  { id: 'login-success-vs-failure', title: 'Login Success vs Failure', kind: 'donut' },
] as const;

export type PanelId = (typeof PANELS)[number]['id'];

/** A time range in epoch milliseconds, both ends inclusive. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

export interface Extremes {
  /** Seconds; undefined when there is no sample. */
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly count: number;
}

export interface PlotPoint {
  /** Epoch milliseconds. */
  readonly t: number;
  /** Seconds. */
  readonly v: number;
  /** Colour group, e.g. the login result. */
  readonly group?: string;
}

export interface PointSeries {
  /** Sorted by time; at most the point limit. */
  readonly points: readonly PlotPoint[];
  /** All points in the range, shown or not. */
  readonly total: number;
  /** Which points are shown when there are more than the limit. */
  readonly selection: 'uniform sample' | 'most recent';
}

export interface Bar {
  readonly label: string;
  /** Seconds; undefined without samples. */
  readonly value: number | undefined;
  readonly count: number;
}

export interface DashboardData {
  /** The range the numbers cover: the one asked for, or for a fit request, fitted to the data. */
  readonly range: TimeRange;
  readonly syncDurationExtremes: Extremes;
  readonly totalConnectionTimeExtremes: Extremes;
  readonly syncDuration: PointSeries;
  /** Connections by type, counting only the last sample per `connection_pair_id`. */
  readonly iceVsRelay: readonly Slice[];
  readonly connectionStageDurations: readonly Bar[];
  readonly totalConnectionTime: PointSeries;
  readonly loginDuration: PointSeries;
  readonly loginSuccessVsFailure: readonly Slice[];
  /** Set when a bound dropped something from a count (not just from a plot). */
  readonly truncated?: string;
  /** Percentiles, heatmaps, breakdowns and sync phases of the same samples. */
  readonly insights: Insights;
}

export interface PanelLimits {
  /** Points kept per point plot. */
  maxPoints: number;
  /** Distinct connection pairs tracked for the ICE vs relay panel. */
  maxPairs: number;
  /** Slices per donut (and colour groups per plot) besides "other"; default 8. */
  maxGroups?: number;
  /** Distinct labels counted one by one per group panel; default 1000. */
  maxTrackedLabels?: number;
  /**
   * Durations kept in total per load for exact percentiles, across all of them; past it the
   * percentiles are estimated from a uniform sample. Default 1,000,000: 20 bytes each (time,
   * value, group), up to twice that while the arrays grow.
   */
  maxValues?: number;
}

export const DEFAULT_MAX_VALUES = 1_000_000;

export const DEFAULT_PANEL_LIMITS: PanelLimits = {
  maxPoints: 5000,
  maxPairs: 200_000,
  maxGroups: DEFAULT_GROUP_LIMITS.maxShown,
  maxTrackedLabels: DEFAULT_GROUP_LIMITS.maxTracked,
  maxValues: DEFAULT_MAX_VALUES,
};

/** The group bounds of `limits`, defaults filled in. */
export function groupLimits(limits: PanelLimits): { maxShown: number; maxTracked: number } {
  return {
    maxShown: limits.maxGroups ?? DEFAULT_GROUP_LIMITS.maxShown,
    maxTracked: limits.maxTrackedLabels ?? DEFAULT_GROUP_LIMITS.maxTracked,
  };
}

export const STAGE_BARS = [
  { field: 'signaling_to_connection_seconds', label: 'Avg Signaling to Connection' },
  { field: 'connection_to_wg_handshake_seconds', label: 'Avg Connection to WG Handshake' },
] as const;

/** Fixed order for the known slices, so colours and legends do not jump between refreshes. */
export const CONNECTION_TYPE_ORDER = ['ice_p2p', 'ice_turn', 'relay'] as const;
export const LOGIN_RESULT_ORDER = ['success', 'failure'] as const;

const NS_PER_MS = 1_000_000n;

function sampleTimeMs(sample: Sample): number | undefined {
  return sample.timestampNs === undefined ? undefined : Number(sample.timestampNs / NS_PER_MS);
}

class ExtremesAcc {
  min: number | undefined;
  max: number | undefined;
  count = 0;

  add(v: number): void {
    this.count++;
    if (this.min === undefined || v < this.min) this.min = v;
    if (this.max === undefined || v > this.max) this.max = v;
  }

  result(): Extremes {
    return { min: this.min, max: this.max, count: this.count };
  }
}

/**
 * Algorithm R with a fixed-seed generator: every point has the same chance to be shown, and the
 * same data always shows the same points.
 */
class Reservoir {
  readonly #points: PlotPoint[] = [];
  #seen = 0;
  readonly #random = new SeededRandom();

  constructor(readonly limit: number) {}

  /** Adds a point; the point object is made only when it is kept (most are not, past the limit). */
  add(t: number, v: number, group?: string): void {
    this.#seen++;
    if (this.#points.length < this.limit) {
      this.#points.push(group === undefined ? { t, v } : { t, v, group });
      return;
    }
    const j = Math.floor(this.#random.next() * this.#seen);
    if (j < this.limit) this.#points[j] = group === undefined ? { t, v } : { t, v, group };
  }

  result(): PointSeries {
    const points = [...this.#points].sort((a, b) => a.t - b.t);
    return { points, total: this.#seen, selection: 'uniform sample' };
  }
}

class MeanAcc {
  sum = 0;
  count = 0;

  add(v: number): void {
    this.sum += v;
    this.count++;
  }

  get mean(): number | undefined {
    return this.count === 0 ? undefined : this.sum / this.count;
  }
}

/**
 * Points coloured by a group that is not drawn on its own (see the donut's slices) are
 * coloured as "other", so the legend stays as bounded as the donut.
 */
export function groupPointsAsSlices(series: PointSeries, slices: readonly Slice[]): PointSeries {
  const shown = new Set(slices.filter((s) => s.other !== true).map((s) => s.label));
  const points = series.points.map((p) =>
    p.group === undefined || shown.has(p.group) ? p : { ...p, group: OTHER_LABEL },
  );
  return { ...series, points };
}

/** Last connection type per pair: later timestamps win; equal timestamps keep the first seen. */
class PairTypes {
  readonly #last = new Map<string, { t: bigint; type: string }>();
  #overflow = 0;

  constructor(
    readonly maxPairs: number,
    readonly groups: { maxShown: number; maxTracked: number },
  ) {}

  add(pairId: string, t: bigint, type: string): void {
    const seen = this.#last.get(pairId);
    if (seen === undefined) {
      if (this.#last.size >= this.maxPairs) {
        this.#overflow++;
        return;
      }
      this.#last.set(pairId, { t, type });
    } else if (t > seen.t) {
      seen.t = t;
      seen.type = type;
    }
  }

  /** Samples of pairs beyond the cap, not counted. */
  get overflow(): number {
    return this.#overflow;
  }

  slices(): Slice[] {
    const counts = new BoundedCounts(this.groups.maxTracked, CONNECTION_TYPE_ORDER);
    for (const { type } of this.#last.values()) counts.add(type);
    return counts.slices(CONNECTION_TYPE_ORDER, this.groups.maxShown);
  }
}

function field(sample: Sample, name: string): number | undefined {
  const v = sample.fields[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export class PanelAccumulator {
  readonly #range: TimeRange;
  readonly #syncExtremes = new ExtremesAcc();
  readonly #totalExtremes = new ExtremesAcc();
  readonly #syncPoints: Reservoir;
  readonly #totalPoints: Reservoir;
  readonly #loginPoints: Reservoir;
  readonly #pairs: PairTypes;
  readonly #stages = STAGE_BARS.map(() => new MeanAcc());
  readonly #loginResults: BoundedCounts;
  readonly #maxGroups: number;
  readonly #passes: (sample: Sample) => boolean;
  readonly #insights: InsightsAccumulator;

  /** Only samples passing `filters` count, in every panel. */
  constructor(range: TimeRange, limits: PanelLimits = DEFAULT_PANEL_LIMITS, filters: Filters = {}) {
    if (!(limits.maxPoints >= 1) || !(limits.maxPairs >= 1)) {
      throw new RangeError('panel limits must be at least 1');
    }
    this.#range = range;
    this.#syncPoints = new Reservoir(limits.maxPoints);
    this.#totalPoints = new Reservoir(limits.maxPoints);
    this.#loginPoints = new Reservoir(limits.maxPoints);
    const groups = groupLimits(limits);
    if (!(groups.maxShown >= 1) || !(groups.maxTracked >= 1)) {
      throw new RangeError('panel limits must be at least 1');
    }
    this.#pairs = new PairTypes(limits.maxPairs, groups);
    this.#loginResults = new BoundedCounts(groups.maxTracked, LOGIN_RESULT_ORDER);
    this.#maxGroups = groups.maxShown;
    this.#passes = sampleFilter(filters);
    this.#insights = new InsightsAccumulator(
      range,
      {
        maxGroups: groups.maxShown,
        maxTracked: groups.maxTracked,
        maxValues: limits.maxValues ?? DEFAULT_MAX_VALUES,
      },
      filters,
    );
  }

  /** Adds one sample; samples outside the range, without a timestamp or filtered out are ignored. */
  add(sample: Sample): void {
    const t = sampleTimeMs(sample);
    if (t === undefined || t < this.#range.from || t > this.#range.to) return;
    if (!this.#passes(sample)) return;
    this.#insights.addAccepted(sample, t);
    switch (sample.measurement) {
      case 'netbird_sync': {
        const v = field(sample, 'duration_seconds');
        if (v === undefined) return;
        this.#syncExtremes.add(v);
        this.#syncPoints.add(t, v);
        return;
      }
      case 'netbird_peer_connection': {
        const total = field(sample, 'total_seconds');
        if (total === undefined) return;
        this.#totalExtremes.add(total);
        this.#totalPoints.add(t, total);
        for (let i = 0; i < STAGE_BARS.length; i++) {
          const v = field(sample, (STAGE_BARS[i] as (typeof STAGE_BARS)[number]).field);
          if (v !== undefined) this.#stages[i]?.add(v);
        }
        const pair = sample.tags.connection_pair_id;
        const type = sample.tags.connection_type;
        // NetBird's Flux query drops rows without these tags when it groups by them.
        if (pair && type && sample.timestampNs !== undefined) {
          this.#pairs.add(pair, sample.timestampNs, displayLabel(type));
        }
        return;
      }
      case 'netbird_login': {
        const v = field(sample, 'duration_seconds');
        if (v === undefined) return;
        const result = displayLabel(sample.tags.result || 'unknown');
        this.#loginPoints.add(t, v, result);
        this.#loginResults.add(result);
        return;
      }
    }
  }

  /**
   * The panels; when `fit`, the range is narrowed to start at the bucket of the first sample
   * (the panels' numbers are the same either way: no sample lies before it).
   */
  result(fit = false): DashboardData {
    return drain(this.resultInSteps(fit));
  }

  /** `result` a piece at a time, for a caller that gives the event loop a turn at each `yield`. */
  *resultInSteps(fit = false): Generator<void, DashboardData> {
    const { range, insights } = yield* this.#insights.resultInSteps(fit);
    const overflow = this.#pairs.overflow;
    const logins = this.#loginResults.slices(LOGIN_RESULT_ORDER, this.#maxGroups);
    return {
      range,
      syncDurationExtremes: this.#syncExtremes.result(),
      totalConnectionTimeExtremes: this.#totalExtremes.result(),
      syncDuration: this.#syncPoints.result(),
      iceVsRelay: this.#pairs.slices(),
      connectionStageDurations: STAGE_BARS.map((bar, i) => ({
        label: bar.label,
        value: this.#stages[i]?.mean,
        count: this.#stages[i]?.count ?? 0,
      })),
      totalConnectionTime: this.#totalPoints.result(),
      loginDuration: groupPointsAsSlices(this.#loginPoints.result(), logins),
      loginSuccessVsFailure: logins,
      ...(overflow > 0
        ? {
            truncated: `ICE vs Relay: ${overflow} samples of pairs beyond the ${this.#pairs.maxPairs}-pair limit are not counted`,
          }
        : {}),
      insights,
    };
  }
}

/** All eight panels and the insights from samples in one pass. */
export function computePanels(
  samples: Iterable<Sample>,
  range: TimeRange,
  limits: PanelLimits = DEFAULT_PANEL_LIMITS,
  filters: Filters = {},
  fit = false,
): DashboardData {
  const acc = new PanelAccumulator(range, limits, filters);
  for (const s of samples) acc.add(s);
  return acc.result(fit);
}

import type { Sample } from '../../protocol/schema.js';
import { SYNC_PHASES } from '../../protocol/schema.js';
import type { Filters } from './filters.js';
import {
  heatmapBand as bandOf,
  type Distribution,
  fittedRange,
  HEATMAP_BOUNDS_SECONDS,
  type Insights,
  timeBuckets,
} from './insights.js';
import { distribution, heatmap, secondsPerBucket } from './insights-distributions.js';
import { type BreakdownInput, breakdown, syncPhases } from './insights-groups.js';
import { IdCounts, LabelIds } from './label-ids.js';
import type { TimeRange } from './panels.js';
import { sampleFilter } from './sample-filter.js';
import { StepTallies } from './step-tallies.js';
import { ValueSeries } from './value-series.js';

export interface InsightLimits {
  /** Labels shown on their own per breakdown (and unknown sync phases); the rest are "other". */
  readonly maxGroups: number;
  /** Distinct labels counted one by one per tag; later new ones count under "other". */
  readonly maxTracked: number;
  /** Durations kept in total for exact percentiles; past it, a uniform sample is kept. */
  readonly maxValues: number;
}

export interface InsightsResult {
  /** The range the insights cover (fitted to the data for a fit request). */
  readonly range: TimeRange;
  readonly insights: Insights;
}

/** Runs a computation made of steps to its end at once. */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}

const NS_PER_MS = 1_000_000n;
const BANDS = HEATMAP_BOUNDS_SECONDS.length + 1;

function timeMs(sample: Sample): number | undefined {
  return sample.timestampNs === undefined ? undefined : Number(sample.timestampNs / NS_PER_MS);
}

/**
 * A field's value when it is a finite number. Callers name the field literally: a fixed
 * property name is a far cheaper lookup per sample than a computed one.
 */
function finite(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A series and, once values are no longer all kept, its exact counts per bucket. */
interface Tracked {
  readonly series: ValueSeries;
  /** Columns of the tallies: duration bands for a heatmap, else one count. */
  readonly banded: boolean;
  tallies?: StepTallies;
}

/**
 * The operator views (percentiles overall and per bucket, heatmaps, breakdowns, sync phases) of
 * the samples in a range that pass the filters, in one streaming pass: `add` takes one sample at
 * a time and costs a few typed-array writes. Each value keeps its time, not its bucket, because
 * a range fitted to the data is known only at the end. Memory is bounded by `maxValues` (past it
 * every series becomes a uniform reservoir, while counts, sums, maxima and per-bucket counts
 * stay exact) and by `maxTracked` labels per tag.
 */
export class InsightsAccumulator {
  readonly #range: TimeRange;
  readonly #filters: Filters;
  readonly #passes: (sample: Sample) => boolean;
  readonly #limits: InsightLimits;
  readonly #total: Tracked = { series: new ValueSeries(), banded: true };
  readonly #signaling: Tracked = { series: new ValueSeries(), banded: false };
  readonly #handshake: Tracked = { series: new ValueSeries(), banded: false };
  readonly #sync: Tracked = { series: new ValueSeries(), banded: true };
  readonly #login: Tracked = { series: new ValueSeries(), banded: false };
  /** Phase durations, grouped by phase id. */
  readonly #phases = new ValueSeries();
  /** Exact seconds per bucket by phase id once bounded: at most 8 KiB per tracked phase. */
  #phaseTallies: Map<number, StepTallies> | undefined;
  /** Exact sync seconds per bucket, once the sync series keeps only a sample. */
  #syncSeconds: StepTallies | undefined;
  readonly #types: LabelIds;
  readonly #typeCounts = new IdCounts();
  readonly #oses: LabelIds;
  readonly #osCounts = new IdCounts();
  readonly #osRelays = new IdCounts();
  readonly #attempts: LabelIds;
  readonly #attemptCounts = new IdCounts();
  readonly #versions: LabelIds;
  readonly #versionCounts = new IdCounts();
  readonly #versionFailures = new IdCounts();
  readonly #phaseIds: LabelIds;
  readonly #phaseCounts = new IdCounts();
  readonly #phaseSums = new IdCounts();
  readonly #phaseMax = new IdCounts();
  #syncTotalSeconds = 0;
  #first = Number.POSITIVE_INFINITY;
  #last = Number.NEGATIVE_INFINITY;
  #held = 0;
  #bounded = false;

  constructor(range: TimeRange, limits: InsightLimits, filters: Filters = {}) {
    if (!(limits.maxGroups >= 1) || !(limits.maxTracked >= 1) || !(limits.maxValues >= 1)) {
      throw new RangeError('insight limits must be at least 1');
    }
    this.#range = range;
    this.#limits = limits;
    this.#filters = filters;
    this.#passes = sampleFilter(filters);
    this.#types = new LabelIds(limits.maxTracked);
    this.#oses = new LabelIds(limits.maxTracked);
    this.#attempts = new LabelIds(limits.maxTracked);
    this.#versions = new LabelIds(limits.maxTracked);
    this.#phaseIds = new LabelIds(limits.maxTracked, SYNC_PHASES);
  }

  /** Adds one sample; samples outside the range, without a time or filtered out are ignored. */
  add(sample: Sample): void {
    const t = timeMs(sample);
    if (t === undefined || t < this.#range.from || t > this.#range.to) return;
    if (this.#passes(sample)) this.addAccepted(sample, t);
  }

  /** Adds a sample the caller has checked already: in the range (at `t`, epoch ms) and filtered. */
  addAccepted(sample: Sample, t: number): void {
    switch (sample.measurement) {
      case 'netbird_peer_connection':
        this.#addConnection(sample, t);
        return;
      case 'netbird_sync': {
        const v = finite(sample.fields.duration_seconds);
        if (v === undefined) return;
        this.#syncTotalSeconds += v;
        this.#keep(this.#sync, t, v);
        this.#syncSeconds?.add(t, 0, v);
        return;
      }
      case 'netbird_sync_phase':
        this.#addPhase(sample, t);
        return;
      case 'netbird_login': {
        const v = finite(sample.fields.duration_seconds);
        if (v === undefined) return;
        const version = this.#versions.idOf(sample.tags.version);
        this.#versionCounts.add(version);
        if (sample.tags.result === 'failure') this.#versionFailures.add(version);
        this.#keep(this.#login, t, v);
        return;
      }
    }
  }

  #addConnection(sample: Sample, t: number): void {
    const signaling = finite(sample.fields.signaling_to_connection_seconds);
    if (signaling !== undefined) this.#keep(this.#signaling, t, signaling);
    const handshake = finite(sample.fields.connection_to_wg_handshake_seconds);
    if (handshake !== undefined) this.#keep(this.#handshake, t, handshake);
    const total = finite(sample.fields.total_seconds);
    if (total === undefined) return;
    const tags = sample.tags;
    const type = this.#types.idOf(tags.connection_type);
    this.#typeCounts.add(type);
    const os = this.#oses.idOf(tags.os);
    this.#osCounts.add(os);
    if (tags.connection_type === 'relay') this.#osRelays.add(os);
    this.#attemptCounts.add(this.#attempts.idOf(tags.attempt_type));
    this.#keep(this.#total, t, total, type);
  }

  #addPhase(sample: Sample, t: number): void {
    const v = finite(sample.fields.duration_seconds);
    if (v === undefined) return;
    const phase = this.#phaseIds.idOf(sample.tags.phase);
    this.#phaseCounts.add(phase);
    this.#phaseSums.add(phase, v);
    this.#phaseMax.max(phase, v);
    this.#seen(t);
    this.#hold();
    this.#phases.add(t, v, phase);
    if (this.#phaseTallies !== undefined) this.#phaseTally(phase).add(t, 0, v);
  }

  #keep(tracked: Tracked, t: number, v: number, group = 0): void {
    this.#seen(t);
    this.#hold();
    tracked.series.add(t, v, group);
    tracked.tallies?.add(t, tracked.banded ? bandOf(v) : 0);
  }

  #seen(t: number): void {
    if (t < this.#first) this.#first = t;
    if (t > this.#last) this.#last = t;
  }

  /** Counts one more value held; at the bound, every series turns into a reservoir. */
  #hold(): void {
    if (this.#bounded) return;
    if (this.#held < this.#limits.maxValues) {
      this.#held++;
      return;
    }
    this.#bounded = true;
    // Counts per bucket must stay exact, so they are taken from every value held so far before
    // the series drop any, then kept up as values arrive.
    for (const tracked of this.#tracked()) {
      const tallies = new StepTallies(this.#range, tracked.banded ? BANDS : 1);
      const { times, values } = tracked.series;
      for (let i = 0; i < times.length; i++) {
        tallies.add(times[i] as number, tracked.banded ? bandOf(values[i] as number) : 0);
      }
      tracked.tallies = tallies;
    }
    this.#syncSeconds = new StepTallies(this.#range, 1);
    const sync = this.#sync.series;
    for (let i = 0; i < sync.length; i++) {
      this.#syncSeconds.add(sync.times[i] as number, 0, sync.values[i] as number);
    }
    this.#phaseTallies = new Map();
    const { times, values, groups } = this.#phases;
    for (let i = 0; i < times.length; i++) {
      this.#phaseTally(groups[i] as number).add(times[i] as number, 0, values[i] as number);
    }
    const share = Math.floor(this.#limits.maxValues / (this.#tracked().length + 1));
    for (const tracked of this.#tracked()) tracked.series.limit(share);
    this.#phases.limit(share);
  }

  #phaseTally(phase: number): StepTallies {
    const tallies = this.#phaseTallies as Map<number, StepTallies>;
    let tally = tallies.get(phase);
    if (tally === undefined) {
      tally = new StepTallies(this.#range, 1);
      tallies.set(phase, tally);
    }
    return tally;
  }

  #tracked(): Tracked[] {
    return [this.#total, this.#signaling, this.#handshake, this.#sync, this.#login];
  }

  /**
   * The insights, with the range they cover: the range loaded, or when `fit`, narrowed to start
   * at the bucket holding the first sample (so a short burst of data fills the plots).
   */
  result(fit = false): InsightsResult {
    return drain(this.resultInSteps(fit));
  }

  /**
   * `result`, computed a piece at a time: each `yield` (between one distribution and the next)
   * is where a caller scanning a big store may give the event loop a turn.
   */
  *resultInSteps(fit = false): Generator<void, InsightsResult> {
    const extent = this.#first <= this.#last ? { from: this.#first, to: this.#last } : null;
    const range = fit && extent !== null ? fittedRange(this.#range, extent) : this.#range;
    const buckets = timeBuckets(range);
    const distributions: Partial<Record<keyof Insights['distributions'], Distribution>> = {};
    const named = [
      ['connectionTotal', this.#total],
      ['signalingToConnection', this.#signaling],
      ['connectionToHandshake', this.#handshake],
      ['sync', this.#sync],
      ['login', this.#login],
    ] as const;
    for (const [name, t] of named) {
      distributions[name] = distribution(t.series, buckets, t.tallies, t.banded);
      yield;
    }
    const heatmaps = {
      connectionTotal: heatmap(this.#total.series, buckets, this.#total.tallies),
      sync: heatmap(this.#sync.series, buckets, this.#sync.tallies),
    };
    const breakdowns = this.#breakdowns();
    yield;
    const syncPhasesResult = syncPhases({
      series: this.#phases,
      ids: this.#phaseIds,
      counts: this.#phaseCounts,
      sums: this.#phaseSums,
      max: this.#phaseMax,
      tallies: this.#phaseTallies,
      buckets,
      maxGroups: this.#limits.maxGroups,
      syncTotalSeconds: this.#syncTotalSeconds,
      syncSecondsOverTime: secondsPerBucket(this.#sync.series, buckets, this.#syncSeconds),
    });
    const truncated = this.#truncated();
    const insights: Insights = {
      filters: this.#filters,
      buckets,
      extent,
      distributions: distributions as Insights['distributions'],
      heatmaps,
      breakdowns,
      syncPhases: syncPhasesResult,
      ...(truncated.length > 0 ? { truncated } : {}),
    };
    return { range, insights };
  }

  #breakdowns(): Insights['breakdowns'] {
    const maxGroups = this.#limits.maxGroups;
    const input = (ids: LabelIds, counts: IdCounts): BreakdownInput => ({ ids, counts, maxGroups });
    return {
      p95TotalByConnectionType: breakdown(input(this.#types, this.#typeCounts), {
        unit: 'seconds',
        series: this.#total.series,
        percentile: 95,
      }),
      relayShareByOs: breakdown(input(this.#oses, this.#osCounts), {
        unit: 'ratio',
        numerator: this.#osRelays,
      }),
      loginFailureRateByVersion: breakdown(input(this.#versions, this.#versionCounts), {
        unit: 'ratio',
        numerator: this.#versionFailures,
      }),
      connectionsByAttemptType: breakdown(input(this.#attempts, this.#attemptCounts), {
        unit: 'count',
      }),
    };
  }

  #truncated(): string[] {
    const out: string[] = [];
    if (this.#bounded) {
      const all = [...this.#tracked().map((t) => t.series), this.#phases];
      const kept = all.reduce((n, s) => n + s.length, 0);
      const seen = all.reduce((n, s) => n + s.seen, 0);
      out.push(
        `percentiles are estimates from a uniform sample of ${kept} of ${seen} durations (more than the ${this.#limits.maxValues}-value bound); counts, sums, maxima and shares are exact`,
      );
    }
    const labels: Array<[string, LabelIds]> = [
      ['connection_type', this.#types],
      ['os', this.#oses],
      ['attempt_type', this.#attempts],
      ['version', this.#versions],
      ['phase', this.#phaseIds],
    ];
    for (const [tag, ids] of labels) {
      if (ids.untrackedSamples === 0) continue;
      out.push(
        `${tag}: ${ids.untrackedSamples} samples of labels past the ${this.#limits.maxTracked}-label bound are counted under "other"`,
      );
    }
    return out;
  }
}

/** The insights of no samples over `range`: every count 0, every percentile absent. */
export function emptyInsights(range: TimeRange, filters: Filters = {}): Insights {
  const limits = { maxGroups: 1, maxTracked: 1, maxValues: 1 };
  return new InsightsAccumulator(range, limits, filters).result().insights;
}

// The operator views (percentiles over the range and per bucket, heatmaps, breakdowns, sync
// phases) computed by InfluxDB through InfluxQL, to the same numbers the sample source gives for
// the same samples: PERCENTILE is the nearest rank, as the dashboard's own percentile, buckets
// are `GROUP BY time(step)` (aligned to the epoch, as the dashboard's buckets are), stored zeros
// count like any other value. Every statement answers a bounded number of rows (buckets, bands,
// a few groups), however many samples or distinct tag values the database holds.
import { SYNC_PHASES } from '../../protocol/schema.js';
import {
  firstValue,
  InfluxqlError,
  rows,
  type Series,
  type StatementGroup,
} from './influxql-client.js';
import type { QueryScope } from './influxql-filters.js';
import { byteOrder, GroupChooser, type Grouping, type GroupingSpec } from './influxql-groups.js';
import {
  BANDS,
  BREAKDOWN_NAMES,
  BREAKDOWNS,
  type BreakdownName,
  bandCondition,
  byBucket,
  DISTRIBUTIONS,
  type DistributionName,
  DURATION,
  EXTENT_FIELDS,
  id,
  KNOWN_PHASE,
  PHASE,
  perBucket,
  type Query,
  quantileColumns,
  readQuantiles,
  select,
  statsColumns,
  UNKNOWN_PHASES,
} from './influxql-insight-queries.js';
import type { Breakdown, Distribution, Insights, PhaseRow, TimeBuckets } from './insights.js';
import type { TimeRange } from './panels.js';
import type { Quantiles } from './quantiles.js';
import { OTHER_LABEL } from './top-counts.js';

/** A phase row before its share of the sync time is known. */
interface PhaseDraft {
  readonly phase: string;
  quantiles: Quantiles;
  totalSeconds: number;
  secondsOverTime: number[];
}

/** Statements run together in one request, each with the reader of its answer. */
export interface QueryGroup {
  readonly label: string;
  readonly queries: readonly Query[];
}

/** Runs groups of statements (each group one request); a group that timed out is in `failed`. */
export type RunGroups = (
  groups: readonly StatementGroup[],
) => Promise<{ results: Series[][][]; failed: string[] }>;

async function runRound(run: RunGroups, groups: readonly QueryGroup[]): Promise<string[]> {
  const present = groups.filter((g) => g.queries.length > 0);
  if (present.length === 0) return [];
  const { results, failed } = await run(
    present.map((g) => ({ label: g.label, statements: g.queries.map((q) => q.statement) })),
  );
  present.forEach((g, k) => {
    g.queries.forEach((q, j) => {
      q.read(results[k]?.[j] ?? []);
    });
  });
  return failed;
}

/** First and last sample times read so far (epoch ms). */
class ExtentReader {
  #from = Number.POSITIVE_INFINITY;
  #to = Number.NEGATIVE_INFINITY;

  /** The first and last sample time over every measurement, with the filters. */
  queries(scope: QueryScope): Query[] {
    return EXTENT_FIELDS.flatMap(([measurement, field]) =>
      (['first', 'last'] as const).map((fn) => ({
        statement: select(`${fn}(${id(field)})`, measurement, scope),
        read: (series: readonly Series[]) => {
          for (const row of rows(series)) {
            if (row.time === undefined) continue;
            if (fn === 'first') this.#from = Math.min(this.#from, row.time);
            else this.#to = Math.max(this.#to, row.time);
          }
        },
      })),
    );
  }

  /** Null without any sample. */
  result(): TimeRange | null {
    return this.#from <= this.#to ? { from: this.#from, to: this.#to } : null;
  }
}

/** Loads the extent alone: a fit request needs it before anything else. */
export async function loadExtent(run: RunGroups, scope: QueryScope): Promise<TimeRange | null> {
  const extent = new ExtentReader();
  const failed = await runRound(run, [{ label: 'data extent', queries: extent.queries(scope) }]);
  if (failed.length > 0) throw new InfluxqlError(failed.join('; '));
  return extent.result();
}

interface RowDraft {
  label: string;
  count: number;
  value: number | null;
  other?: true;
}

/**
 * The insights of one load, read in rounds: everything that needs no earlier answer at once
 * (percentiles, heatmaps, the counts that choose each breakdown's groups), then the tie-breaks
 * a few choices need, then the values of the chosen groups.
 */
export class InfluxqlInsights {
  readonly #overall = {} as Record<DistributionName, Quantiles>;
  readonly #overTime = {} as Record<DistributionName, Distribution['overTime']>;
  readonly #heatmaps = {} as Record<'connectionTotal' | 'sync', number[][]>;
  readonly #extent = new ExtentReader();
  #syncTotal = 0;
  #syncOverTime: number[];
  readonly #knownPhases = new Map<string, PhaseDraft>();
  readonly #unknownPhases: PhaseDraft[] = [];
  readonly #choosers: Record<BreakdownName, GroupChooser>;
  readonly #phaseChooser: GroupChooser;
  readonly #counts = new Map<GroupChooser, Series[][]>();
  readonly #rows = {} as Record<BreakdownName, RowDraft[]>;
  readonly #truncated: string[] = [];

  /** With `extent`, the extent is known (a fit request read it first) and not read again. */
  constructor(
    readonly scope: QueryScope,
    readonly buckets: TimeBuckets,
    readonly maxGroups: number,
    readonly extent?: TimeRange | null,
  ) {
    this.#syncOverTime = new Array<number>(buckets.count).fill(0);
    const chooser = (spec: GroupingSpec) => new GroupChooser(scope, spec, maxGroups);
    this.#choosers = Object.fromEntries(
      BREAKDOWN_NAMES.map((name) => [name, chooser(BREAKDOWNS[name])]),
    ) as Record<BreakdownName, GroupChooser>;
    this.#phaseChooser = chooser(UNKNOWN_PHASES);
  }

  /** Runs every round; a group of statements that timed out is named in `truncated`. */
  async load(run: RunGroups): Promise<Insights> {
    this.#truncated.push(...(await runRound(run, this.#firstRound())));
    this.#truncated.push(...(await runRound(run, this.#tieRound())));
    this.#truncated.push(...(await runRound(run, this.#valueRound())));
    return this.#result();
  }

  #firstRound(): QueryGroup[] {
    const percentiles = [...this.#distributionQueries(), ...this.#syncQueries()];
    if (this.extent === undefined) percentiles.push(...this.#extent.queries(this.scope));
    return [
      { label: 'percentiles', queries: percentiles },
      {
        label: 'heatmaps',
        queries: [...this.#heatmapQueries('connectionTotal'), ...this.#heatmapQueries('sync')],
      },
      {
        label: 'breakdowns and sync phases',
        queries: [...this.#knownPhaseQueries(), ...this.#countQueries()],
      },
    ];
  }

  #distributionQueries(): Query[] {
    const { scope, buckets } = this;
    return (Object.keys(DISTRIBUTIONS) as DistributionName[]).flatMap((name) => {
      const [measurement, field] = DISTRIBUTIONS[name];
      return [
        {
          statement: select(
            `${quantileColumns(field)}, max(${id(field)}) AS "max"`,
            measurement,
            scope,
          ),
          read: (s: readonly Series[]) => {
            this.#overall[name] = readQuantiles(s);
          },
        },
        {
          statement: select(quantileColumns(field), measurement, scope, [], byBucket(buckets)),
          read: (s: readonly Series[]) => {
            this.#overTime[name] = {
              count: perBucket(s, buckets, 'count', 0),
              p50: perBucket(s, buckets, 'p50', null),
              p95: perBucket(s, buckets, 'p95', null),
              p99: perBucket(s, buckets, 'p99', null),
            };
          },
        },
      ];
    });
  }

  /** Sync time in the range and per bucket: what the phases' shares are of. */
  #syncQueries(): Query[] {
    const { scope, buckets } = this;
    const sum = `sum(${id(DURATION)}) AS "sum"`;
    return [
      {
        statement: select(sum, 'netbird_sync', scope),
        read: (s) => {
          this.#syncTotal = firstValue(s, 'sum') ?? 0;
        },
      },
      {
        statement: select(sum, 'netbird_sync', scope, [], byBucket(buckets)),
        read: (s) => {
          this.#syncOverTime = perBucket(s, buckets, 'sum', 0);
        },
      },
    ];
  }

  /** One count per band and bucket: a statement per band, each a row per bucket. */
  #heatmapQueries(name: 'connectionTotal' | 'sync'): Query[] {
    const { scope, buckets } = this;
    const [measurement, field] = DISTRIBUTIONS[name];
    const counts = Array.from({ length: buckets.count }, () => new Array<number>(BANDS).fill(0));
    this.#heatmaps[name] = counts;
    return Array.from({ length: BANDS }, (_, band) => ({
      statement: select(
        `count(${id(field)}) AS "n"`,
        measurement,
        scope,
        [bandCondition(field, band)],
        byBucket(buckets),
      ),
      read: (s: readonly Series[]) => {
        perBucket(s, buckets, 'n', 0).forEach((n, i) => {
          const row = counts[i];
          if (row !== undefined) row[band] = n;
        });
      },
    }));
  }

  /** The known phases: one series per phase seen, whatever else is stored. */
  #knownPhaseQueries(): Query[] {
    const { scope, buckets } = this;
    const phaseOf = (s: Series) => s.tags?.phase ?? '';
    return [
      {
        statement: select(statsColumns(DURATION), PHASE, scope, [KNOWN_PHASE], id('phase')),
        read: (series) => {
          for (const s of series)
            this.#knownPhases.set(phaseOf(s), phaseDraft(phaseOf(s), [s], buckets));
        },
      },
      {
        statement: select(
          `sum(${id(DURATION)}) AS "sum"`,
          PHASE,
          scope,
          [KNOWN_PHASE],
          byBucket(buckets, 'phase'),
        ),
        read: (series) => {
          for (const s of series) {
            const draft = this.#knownPhases.get(phaseOf(s));
            if (draft !== undefined) draft.secondsOverTime = perBucket([s], buckets, 'sum', 0);
          }
        },
      },
    ];
  }

  #allChoosers(): GroupChooser[] {
    return [...Object.values(this.#choosers), this.#phaseChooser];
  }

  #countQueries(): Query[] {
    return this.#allChoosers().flatMap((chooser) => {
      const answers: Series[][] = [];
      this.#counts.set(chooser, answers);
      return chooser.countStatements().map((statement, j) => ({
        statement,
        read: (s: readonly Series[]) => {
          answers[j] = [...s];
        },
      }));
    });
  }

  #tieRound(): QueryGroup[] {
    const queries = this.#allChoosers().flatMap((chooser): Query[] => {
      const tie = chooser.readCounts(this.#counts.get(chooser) ?? []);
      return tie === undefined ? [] : [{ statement: tie, read: (s) => chooser.readTie(s) }];
    });
    return [{ label: 'breakdown groups', queries }];
  }

  #valueRound(): QueryGroup[] {
    const queries = BREAKDOWN_NAMES.flatMap((name) => this.#breakdownQueries(name));
    queries.push(...this.#unknownPhaseQueries());
    return [{ label: 'breakdown and sync phase values', queries }];
  }

  /** The value of each chosen group and of "other", over all of their samples. */
  #breakdownQueries(name: BreakdownName): Query[] {
    const spec = BREAKDOWNS[name];
    const grouping = this.#choosers[name].result();
    const drafts = withOther(grouping, (label, count, other) => ({
      label,
      count,
      value: spec.unit === 'count' ? count : null,
      ...(other ? { other: true as const } : {}),
    }));
    this.#rows[name] = drafts.map((d) => d.draft);
    if (spec.unit === 'count') return [];
    const f = id(spec.field);
    const column =
      spec.unit === 'seconds'
        ? `percentile(${f}, ${spec.percentile ?? 95}) AS "v"`
        : `count(${f}) AS "v"`;
    return drafts.map(({ draft, condition }) => ({
      statement: select(column, spec.measurement, this.scope, [condition, spec.numerator]),
      read: (s: readonly Series[]) => {
        const v = firstValue(s, 'v');
        if (spec.unit === 'seconds') draft.value = v ?? null;
        else draft.value = draft.count === 0 ? null : (v ?? 0) / draft.count;
      },
    }));
  }

  /** Phases outside the known list: the largest few by name, then "other". */
  #unknownPhaseQueries(): Query[] {
    const { scope, buckets } = this;
    const grouping = this.#phaseChooser.result();
    const named = [...grouping.groups].sort((a, b) => byteOrder(a.label, b.label));
    const drafts = withOther({ ...grouping, groups: named }, (label) => emptyPhase(label, buckets));
    this.#unknownPhases.push(...drafts.map((d) => d.draft));
    return drafts.flatMap(({ draft, condition }): Query[] => [
      {
        statement: select(statsColumns(DURATION), PHASE, scope, [condition]),
        read: (s) => {
          draft.quantiles = readQuantiles(s);
          draft.totalSeconds = firstValue(s, 'sum') ?? 0;
        },
      },
      {
        statement: select(
          `sum(${id(DURATION)}) AS "sum"`,
          PHASE,
          scope,
          [condition],
          byBucket(buckets),
        ),
        read: (s) => {
          draft.secondsOverTime = perBucket(s, buckets, 'sum', 0);
        },
      },
    ]);
  }

  #result(): Insights {
    const distribution = (name: DistributionName): Distribution => ({
      overall: this.#overall[name] ?? readQuantiles(undefined),
      overTime: this.#overTime[name] ?? {
        count: new Array<number>(this.buckets.count).fill(0),
        ...nullsOverTime(this.buckets),
      },
    });
    const breakdown = (name: BreakdownName): Breakdown => ({
      unit: BREAKDOWNS[name].unit,
      rows: (this.#rows[name] ?? []).map((r) => ({ ...r })),
    });
    const extent = this.extent !== undefined ? this.extent : this.#extent.result();
    return {
      filters: this.scope.filters,
      buckets: this.buckets,
      extent,
      distributions: {
        connectionTotal: distribution('connectionTotal'),
        signalingToConnection: distribution('signalingToConnection'),
        connectionToHandshake: distribution('connectionToHandshake'),
        sync: distribution('sync'),
        login: distribution('login'),
      },
      heatmaps: {
        connectionTotal: { counts: this.#heatmaps.connectionTotal ?? [] },
        sync: { counts: this.#heatmaps.sync ?? [] },
      },
      breakdowns: {
        p95TotalByConnectionType: breakdown('p95TotalByConnectionType'),
        relayShareByOs: breakdown('relayShareByOs'),
        loginFailureRateByVersion: breakdown('loginFailureRateByVersion'),
        connectionsByAttemptType: breakdown('connectionsByAttemptType'),
      },
      syncPhases: this.#syncPhases(),
      ...(this.#truncated.length > 0 ? { truncated: [...this.#truncated] } : {}),
    };
  }

  #syncPhases(): Insights['syncPhases'] {
    const known = SYNC_PHASES.flatMap((p) => {
      const draft = this.#knownPhases.get(p);
      return draft !== undefined && draft.quantiles.count > 0 ? [draft] : [];
    });
    const drafts = [...known, ...this.#unknownPhases];
    const total = this.#syncTotal;
    const rows: PhaseRow[] = drafts.map((d) => ({
      phase: d.phase,
      quantiles: d.quantiles,
      totalSeconds: d.totalSeconds,
      shareOfSync: total === 0 ? null : d.totalSeconds / total,
    }));
    return {
      rows,
      secondsOverTime: drafts.map((d) => d.secondsOverTime),
      syncTotalSeconds: total,
      syncSecondsOverTime: this.#syncOverTime,
    };
  }
}

function nullsOverTime(buckets: TimeBuckets): Omit<Distribution['overTime'], 'count'> {
  const nulls = () => new Array<number | null>(buckets.count).fill(null);
  return { p50: nulls(), p95: nulls(), p99: nulls() };
}

function emptyPhase(phase: string, buckets: TimeBuckets): PhaseDraft {
  return {
    phase,
    quantiles: readQuantiles(undefined),
    totalSeconds: 0,
    secondsOverTime: new Array<number>(buckets.count).fill(0),
  };
}

function phaseDraft(phase: string, series: readonly Series[], buckets: TimeBuckets): PhaseDraft {
  return {
    ...emptyPhase(phase, buckets),
    quantiles: readQuantiles(series),
    totalSeconds: firstValue(series, 'sum') ?? 0,
  };
}

/** A draft per chosen group, then one for "other" when it has samples, with their conditions. */
function withOther<T>(
  grouping: Grouping,
  draft: (label: string, count: number, other: boolean) => T,
): Array<{ draft: T; condition: string | undefined }> {
  const out: Array<{ draft: T; condition: string | undefined }> = grouping.groups.map((g) => ({
    draft: draft(g.label, g.count, false),
    condition: g.condition,
  }));
  if (grouping.otherCount > 0) {
    out.push({
      draft: draft(OTHER_LABEL, grouping.otherCount, true),
      condition: grouping.otherCondition,
    });
  }
  return out;
}

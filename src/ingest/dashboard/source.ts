import type { Sample } from '../../protocol/schema.js';
import type { Filters } from './filters.js';
import {
  type DashboardData,
  DEFAULT_PANEL_LIMITS,
  PanelAccumulator,
  type PanelLimits,
  type TimeRange,
} from './panels.js';

/** Where the dashboard's numbers come from: the embedded store, or InfluxDB via InfluxQL. */
export interface DashboardSource {
  /** Shown in the page header, e.g. `embedded store (/var/lib/netbird-ingest)`. */
  readonly description: string;
  /**
   * The panels of the samples in `range` that pass `filters`. With `fit` (a request that named
   * no range), the result's range is narrowed to start at the bucket of the first sample in it.
   */
  load(
    range: TimeRange,
    limits?: PanelLimits,
    signal?: AbortSignal,
    filters?: Filters,
    fit?: boolean,
  ): Promise<DashboardData>;
}

/** Samples in a time range, oldest first or in any order, as a stream. */
export type ReadSamples = (
  range: TimeRange,
  signal?: AbortSignal,
) => AsyncIterable<Sample> | Iterable<Sample>;

/** Longest stretch of scanning without a turn of the event loop, ms. */
const SLICE_MS = 2;
/** Samples between looks at the clock. */
const SAMPLES_PER_LOOK = 64;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A source over any sample reader (the ingest's embedded store): the panels are computed in
 * one streaming pass, so memory stays within the panel limits however much is stored. The scan
 * gives the event loop a turn every couple of milliseconds, so pushes are answered while it
 * runs and a request that went away is noticed (and its scan stopped) within one slice.
 */
export function samplesSource(description: string, read: ReadSamples): DashboardSource {
  return {
    description,
    async load(range, limits = DEFAULT_PANEL_LIMITS, signal, filters = {}, fit = false) {
      const acc = new PanelAccumulator(range, limits, filters);
      let sliceStart = performance.now();
      let n = 0;
      for await (const sample of read(range, signal)) {
        signal?.throwIfAborted();
        acc.add(sample);
        if (++n % SAMPLES_PER_LOOK === 0 && performance.now() - sliceStart >= SLICE_MS) {
          await turn();
          signal?.throwIfAborted();
          sliceStart = performance.now();
        }
      }
      // Ranking a million durations takes a while too: a turn between the pieces.
      const steps = acc.resultInSteps(fit);
      for (let next = steps.next(); ; next = steps.next()) {
        if (next.done === true) return next.value;
        await turn();
        signal?.throwIfAborted();
      }
    },
  };
}

import type { Sample } from '../../protocol/schema.js';
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
  load(range: TimeRange, limits?: PanelLimits, signal?: AbortSignal): Promise<DashboardData>;
}

/** Samples in a time range, oldest first or in any order, as a stream. */
export type ReadSamples = (
  range: TimeRange,
  signal?: AbortSignal,
) => AsyncIterable<Sample> | Iterable<Sample>;

/**
 * A source over any sample reader (the ingest's embedded store): the panels are computed in
 * one streaming pass, so memory stays within the panel limits however much is stored.
 */
export function samplesSource(description: string, read: ReadSamples): DashboardSource {
  return {
    description,
    async load(range, limits = DEFAULT_PANEL_LIMITS, signal) {
      const acc = new PanelAccumulator(range, limits);
      for await (const sample of read(range, signal)) {
        signal?.throwIfAborted();
        acc.add(sample);
      }
      return acc.result();
    },
  };
}

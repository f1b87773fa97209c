// Server entry point (`netbird-otel-metrics/ingest`): the validating ingest, its sinks, the
// embedded store and the dashboard. Clients import `.` instead and never load this code.
export { ConfigError } from './config/config-error.js';
export { FILTER_TAGS, type Filters, type FilterTag } from './ingest/dashboard/filters.js';
export {
  createDashboardHandler,
  type DashboardHandler,
  type DashboardHandlerOptions,
  RANGES as DASHBOARD_RANGES,
} from './ingest/dashboard/handler.js';
export {
  InfluxqlError,
  type InfluxqlSourceOptions,
  influxqlSource,
} from './ingest/dashboard/influxql-source.js';
export type {
  Breakdown,
  BreakdownRow,
  Distribution,
  Heatmap,
  Insights,
  PhaseRow,
  QuantilesOverTime,
  SyncPhases,
  TimeBuckets,
} from './ingest/dashboard/insights.js';
export {
  computePanels,
  type DashboardData,
  PANELS,
  PanelAccumulator,
  type PanelLimits,
  type TimeRange,
} from './ingest/dashboard/panels.js';
export { percentile, type Quantiles, quantiles } from './ingest/dashboard/quantiles.js';
export {
  type DashboardSource,
  type ReadSamples,
  samplesSource,
} from './ingest/dashboard/source.js';
export {
  DEFAULT_OPTIONS as INGEST_DEFAULTS,
  type IngestOptions,
  resolveOptions as resolveIngestOptions,
} from './ingest/options.js';
export {
  createIngestServer,
  type IngestRoute,
  type IngestServer,
  type IngestServerOptions,
  type ListeningAddress,
} from './ingest/server.js';
export {
  EmbeddedStore,
  type EmbeddedStoreOptions,
  type ReadRange,
  type StoreFile,
} from './ingest/sinks/embedded-store.js';
export type {
  ValidationFailure,
  ValidationResult,
  ValidationSuccess,
} from './ingest/validate/result.js';
export {
  LineValidator,
  type LineValidatorOptions,
  validateLineProtocol,
} from './ingest/validate/validate.js';

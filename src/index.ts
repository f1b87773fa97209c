// The public surface (DESIGN.md "Public surface"): named re-exports only.

export {
  createDashboardHandler,
  type DashboardHandler,
  type DashboardHandlerOptions,
  RANGES as DASHBOARD_RANGES,
} from './dashboard/handler.js';
export {
  InfluxqlError,
  type InfluxqlSourceOptions,
  influxqlSource,
} from './dashboard/influxql-source.js';
export {
  computePanels,
  type DashboardData,
  PANELS,
  PanelAccumulator,
  type PanelLimits,
  type TimeRange,
} from './dashboard/panels.js';
export { type DashboardSource, type ReadSamples, samplesSource } from './dashboard/source.js';
export {
  CONFIG_DEFAULTS,
  ENV as CONFIG_ENV,
  EXPORTER_NAMES,
  type ExporterName,
  type MetricsExportOptions,
  type OtlpOptions,
  type PrometheusOptions,
  type ResolvedConfig,
  resolveConfig,
} from './exporters/config.js';
export { ConfigError, type Env } from './exporters/env.js';
export type { PushStats } from './exporters/export-controller.js';
export {
  type InfluxExporterStats,
  InfluxLineProtocolExporter,
  type InfluxLineProtocolExporterOptions,
} from './exporters/influx-metric-exporter.js';
export type { PushCounters } from './exporters/influx-push.js';
export {
  encodeLine,
  encodeLineProtocol,
  LineProtocolEncodeError,
} from './exporters/line-protocol.js';
export { resourceMetricsToLines } from './exporters/otel-to-line-protocol.js';
export { buildPipeline, type Pipeline } from './exporters/pipeline.js';
export { PrometheusEndpoint, type PrometheusEndpointOptions } from './exporters/prometheus.js';
export { prometheusMetricName } from './exporters/prometheus-naming.js';
export { PUSH_ENV, type PushOptions } from './exporters/push-env.js';
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_SAMPLES,
  type SampleBatch,
  SampleStore,
  type SampleStoreOptions,
  type StoredSample,
} from './exporters/sample-store.js';
export { SELF_INSTRUMENTS } from './exporters/self-metrics.js';
export {
  EmbeddedStore,
  type EmbeddedStoreOptions,
  type ReadRange,
  type StoreFile,
} from './ingest/embedded-store.js';
export {
  DEFAULT_OPTIONS as INGEST_DEFAULTS,
  type IngestOptions,
  OptionError,
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
  LineValidator,
  type LineValidatorOptions,
  type ValidationFailure,
  type ValidationResult,
  type ValidationSuccess,
  validateLineProtocol,
} from './ingest/validate.js';
export { type AgentInfo, deploymentType, goArch, goOs } from './instrumentation/agent-info.js';
export {
  ClientMetrics,
  type ClientMetricsOptions,
  type ClientMetricsStats,
  createClientMetrics,
} from './instrumentation/client-metrics.js';
export {
  ConnectionStages,
  type StagesSnapshot,
  type TimeInput,
} from './instrumentation/connection-stages.js';
export { connectionPairId, peerId } from './instrumentation/identifiers.js';
export {
  DURATION_BUCKETS_SECONDS,
  INSTRUMENTS,
} from './instrumentation/otel-recorder.js';
export {
  ATTEMPT_TYPES,
  CONNECTION_TYPES,
  type ConnectionType,
  checkSample,
  DEPLOYMENT_TYPES,
  type DeploymentType,
  LOGIN_RESULTS,
  MAX_DURATION_SECONDS,
  MAX_TAG_VALUE_BYTES,
  MEASUREMENTS,
  METER_NAME,
  type Sample,
  SYNC_PHASES,
  type SyncPhase,
} from './schema.js';
export { isVersionInRange } from './version-range.js';

// Client entry point (`netbird-otel-metrics`): recording, the OTel pipeline, the push to a
// NetBird ingest and the line-protocol encoder. Server code lives behind `./ingest`.

export {
  ClientMetrics,
  type ClientMetricsInstrumentationConfig,
  type ClientMetricsOptions,
  type ClientMetricsStats,
  createClientMetrics,
} from './client/client-metrics.js';
export type { DeliveryStats, PushStats } from './client/export-controller.js';
export { ConfigError } from './config/config-error.js';
export type { Env } from './config/env.js';
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
} from './exporters/export-config.js';
export {
  type InfluxExporterStats,
  InfluxLineProtocolExporter,
  type InfluxLineProtocolExporterOptions,
} from './exporters/influxdb/influx-metric-exporter.js';
export { DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES } from './exporters/influxdb/otel-tags.js';
export {
  type LineLayoutOptions,
  resourceMetricsToLines,
} from './exporters/influxdb/otel-to-line-protocol.js';
export type { InfluxMetricsSchema } from './exporters/influxdb/telegraf-schemas.js';
export { buildPipeline, type Pipeline } from './exporters/otel/pipeline.js';
export type { PushCounters } from './exporters/push/ingest-pusher.js';
export { PUSH_ENV, type PushOptions } from './exporters/push/push-settings.js';
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_SAMPLES,
  type StoredSample,
} from './exporters/push/sample-store.js';
export { SELF_INSTRUMENTS } from './exporters/push/self-metrics.js';
export { type AgentInfo, deploymentType } from './instrumentation/agent-info.js';
export {
  ConnectionStages,
  type StagesSnapshot,
  type TimeInput,
} from './instrumentation/connection-stages.js';
export { connectionPairId, peerId } from './instrumentation/identifiers.js';
export { DURATION_BUCKETS_SECONDS, INSTRUMENTS } from './instrumentation/otel-recorder.js';
export {
  encodeLineProtocol,
  LineProtocolEncodeError,
} from './protocol/line-protocol/encode.js';
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
} from './protocol/schema.js';
export { isVersionInRange } from './protocol/version-range.js';

// The public surface (DESIGN.md "Public surface"): named re-exports only.
export {
  encodeLine,
  encodeLineProtocol,
  LineProtocolEncodeError,
} from './exporters/line-protocol.js';
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_SAMPLES,
  type SampleBatch,
  SampleStore,
  type SampleStoreOptions,
  type StoredSample,
} from './exporters/sample-store.js';
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
  METER_NAME,
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
  type Sample,
  SYNC_PHASES,
  type SyncPhase,
} from './schema.js';

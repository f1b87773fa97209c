import { diag, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { Env } from '../config/env.js';
import type { MetricsExportOptions } from '../exporters/export-config.js';
import type { PushOptions } from '../exporters/push/push-settings.js';
import type { RemoteConfigSource } from '../exporters/push/remote-config.js';
import { SampleStore, type SampleStoreOptions } from '../exporters/push/sample-store.js';
import {
  type AgentInfo,
  type AgentInfoInput,
  buildAgentInfo,
} from '../instrumentation/agent-info.js';
import {
  type ConnectionStages,
  type StageDurations,
  stageDurations,
} from '../instrumentation/connection-stages.js';
import { connectionPairId, peerId } from '../instrumentation/identifiers.js';
import { OtelRecorder } from '../instrumentation/otel-recorder.js';
import { PACKAGE_VERSION } from '../instrumentation/package-version.js';
import { agentResourceAttributes } from '../instrumentation/resource-attributes.js';
import {
  CONNECTION_TYPES,
  type ConnectionType,
  checkFieldValue,
  checkSample,
  checkTag,
  describeViolation,
  type LoginResult,
  MEASUREMENTS,
  METER_NAME,
  type Sample,
  type SchemaViolation,
  type SyncPhase,
} from '../protocol/schema.js';
import { type DeliveryStats, ExportController, type PushStats } from './export-controller.js';
import { SelfMetricsBinding } from './self-metrics-binding.js';

export interface ClientMetricsOptions extends AgentInfoInput, MetricsExportOptions {
  /**
   * The application's provider: our instruments go there and we build no OTel exporters.
   * Default: one we build for the selected OTel exporters, else the global provider, looked up
   * at each recording (so creating this before the application's SDK starts is fine).
   */
  meterProvider?: MeterProvider;
  /** Extra readers for the MeterProvider we build (e.g. with InfluxLineProtocolExporter). */
  metricReaders?: readonly IMetricReader[];
  /** Environment to read configuration from; default `process.env`. */
  env?: Env;
  /** Replaces the remote push-config manager (tests, or a caller with its own source). */
  remoteConfig?: RemoteConfigSource;
  /** Wall clock in epoch milliseconds; injectable for tests. */
  clock?: () => number;
  /** Bounds of the timestamped store (defaults: 20 480 samples, 5 days). */
  store?: Omit<SampleStoreOptions, 'now'>;
  /** Record `connection_pair_id` as an OTel attribute (unbounded cardinality). */
  otelConnectionPairId?: boolean;
  /**
   * The `netbird.metrics.*` counters about the push and the schema, as OTel observable
   * counters. Default: registered once the NetBird push runs, so an application that never
   * pushes gets no counters that can only be zero; `true` registers them at once, `false`
   * never.
   */
  selfMetrics?: boolean;
}

/** What `setConfig` accepts and `getConfig` returns (the OTel `InstrumentationConfig` shape). */
export interface ClientMetricsInstrumentationConfig {
  /** In `getConfig()`: whether recordings go to OTel now (see `enable`/`disable`). */
  enabled?: boolean;
}

export interface ClientMetricsStats {
  /** Samples that passed the schema and went to both sinks. */
  recorded: number;
  /** Samples refused by the schema, by reason. */
  rejectedBySchema: number;
  rejectedByReason: Record<string, number>;
  /** Connection recordings skipped: unknown transport, or the attempt was already recorded. */
  skippedConnections: number;
  droppedByAge: number;
  droppedBySize: number;
  stored: number;
  /** The NetBird push: requests, samples sent and dropped, retries, failures, state. */
  push: PushStats;
  /** What the last `forceFlush()` or `shutdown()` could not deliver by its deadline. */
  delivery: DeliveryStats;
}

/** Pair ids are hashed once per remote key; the cache is bounded like everything else. */
const PAIR_ID_CACHE_MAX = 4096;

const CONNECTION_SCHEMA = MEASUREMENTS.netbird_peer_connection;

/** A pair id and what the schema says of it (it depends on the id alone, so it is kept with it). */
interface PairId {
  readonly id: string;
  readonly violation: SchemaViolation | undefined;
}

/** Agent tags as last checked, and the first of them the connection schema refused. */
interface CheckedAgent {
  readonly deploymentType: string;
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  readonly peerId: string;
  readonly violation: SchemaViolation | undefined;
}

/**
 * The façade a NetBird client calls. Each recording becomes one checked `Sample` that goes to
 * both sinks: OTel histograms and the timestamped store. A sample that fails the schema goes
 * nowhere; it is counted and reported once per reason through OTel `diag`.
 *
 * It is also an OpenTelemetry instrumentation (the members `instrumentationName` to
 * `setConfig`, the shape `registerInstrumentations` uses), so it can be handed to
 * `new NodeSDK({ instrumentations: [metrics] })`, which then gives it the SDK's provider.
 */
export class ClientMetrics {
  readonly instrumentationName = METER_NAME;
  readonly instrumentationVersion = PACKAGE_VERSION;
  readonly store: SampleStore;
  readonly #recorder: OtelRecorder;
  readonly #exports: ExportController;
  #agent: AgentInfo;
  #recorded = 0;
  #rejected = 0;
  #skippedConnections = 0;
  readonly #rejectedByReason = new Map<string, number>();
  /** Remote public key → connection pair id, valid for the current local peer id. */
  readonly #pairIds = new Map<string, PairId>();
  #checkedAgent: CheckedAgent | undefined;
  readonly #selfMetrics: SelfMetricsBinding;
  #instrumentationConfig: ClientMetricsInstrumentationConfig = {};

  constructor(options: ClientMetricsOptions) {
    this.#agent = buildAgentInfo(options);
    // Without an injected clock the store stamps on the monotonic clock, anchored to Date.now.
    this.store = new SampleStore({
      ...options.store,
      ...(options.clock !== undefined ? { now: options.clock } : {}),
    });
    this.#exports = new ExportController({
      ...options,
      store: this.store,
      agent: () => this.#agent,
      resourceDefaults: agentResourceAttributes(this.#agent),
    });
    const ownProvider = options.meterProvider ?? this.#exports.pipeline?.meterProvider;
    this.#recorder = new OtelRecorder({
      includeConnectionPairId: options.otelConnectionPairId ?? false,
      ...(ownProvider !== undefined ? { meterProvider: ownProvider } : {}),
      onBind: (_provider, meter) => this.#selfMetrics.moveTo(meter),
    });
    this.#selfMetrics = new SelfMetricsBinding(options.selfMetrics, () => {
      const push = this.#exports.pushStats();
      const s = this.store.stats;
      return {
        requests: push.requests,
        samplesSent: push.samplesSent,
        retries: push.retries,
        failures: push.failures,
        droppedByAge: s.droppedByAge,
        droppedBySize: s.droppedBySize,
        droppedByServer: push.samplesDroppedByServer,
        rejectedBySchema: this.#rejected,
      };
    });
    this.#checkSelfMetrics();
  }

  get agentInfo(): AgentInfo {
    return this.#agent;
  }

  /** Replaces version, deployment type and peer id at run time (after a management connect). */
  updateAgentInfo(input: Partial<AgentInfoInput>): void {
    const next = buildAgentInfo({
      version: input.version ?? this.#agent.version,
      os: input.os ?? this.#agent.os,
      arch: input.arch ?? this.#agent.arch,
      ...(input.managementUrl !== undefined ? { managementUrl: input.managementUrl } : {}),
      ...(input.publicKey !== undefined ? { publicKey: input.publicKey } : {}),
    });
    this.#agent = {
      ...next,
      deploymentType:
        input.managementUrl !== undefined ? next.deploymentType : this.#agent.deploymentType,
      peerId: input.publicKey !== undefined ? next.peerId : this.#agent.peerId,
    };
    this.#pairIds.clear();
  }

  /**
   * Records the attempt's stage durations once it has its first WireGuard handshake.
   * An unknown transport, or an attempt already recorded, produces no sample.
   * Returns whether a sample was recorded.
   */
  recordConnection(
    stages: ConnectionStages,
    connectionType: ConnectionType,
    remotePublicKey: string,
  ): boolean {
    if (!(CONNECTION_TYPES as readonly string[]).includes(connectionType)) {
      this.#skippedConnections++;
      this.#reject(
        `unknown connection type ${JSON.stringify(connectionType)}`,
        'unknown connection type',
      );
      return false;
    }
    const snapshot = stages.snapshot();
    const d = stageDurations(snapshot);
    const a = this.#agent;
    const pair = this.#pairId(remotePublicKey);
    const sample: Sample = {
      measurement: 'netbird_peer_connection',
      tags: {
        deployment_type: a.deploymentType,
        connection_type: connectionType,
        attempt_type: snapshot.isReconnection ? 'reconnection' : 'initial',
        version: a.version,
        os: a.os,
        arch: a.arch,
        peer_id: a.peerId,
        connection_pair_id: pair.id,
      },
      fields: {
        connection_to_wg_handshake_seconds: d.connectionToWgHandshake ?? 0,
        signaling_to_connection_seconds: d.signalingToConnection ?? 0,
        total_seconds: d.total ?? 0,
      },
    };
    // Check before claiming, so a refused sample does not use up the attempt.
    const violation = this.#connectionViolation(sample, a, pair);
    if (violation !== undefined) {
      this.#refuse(sample, violation);
      return false;
    }
    if (!stages.claimRecording()) {
      this.#skippedConnections++;
      return false;
    }
    this.#emit(sample, d);
    return true;
  }

  /**
   * What `checkSample` says of a connection sample, with the agent's tags checked once per
   * agent rather than per connection (they are most of the work, and change only with
   * `updateAgentInfo`). The transport was checked against its list and the attempt type is one
   * of two constants, so neither can be refused; the first refusal is then the agent's, else the
   * pair id's, else a field's, in the order `checkSample` reports them.
   */
  #connectionViolation(sample: Sample, a: AgentInfo, pair: PairId): SchemaViolation | undefined {
    const violation = this.#agentViolation(a) ?? pair.violation;
    if (violation !== undefined) return violation;
    const f = sample.fields;
    for (const field of CONNECTION_SCHEMA.fields) {
      const v = checkFieldValue(field, f[field] as number);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The first agent tag the connection schema refuses; compared by value, so a change is seen. */
  #agentViolation(a: AgentInfo): SchemaViolation | undefined {
    const c = this.#checkedAgent;
    if (
      c !== undefined &&
      c.deploymentType === a.deploymentType &&
      c.version === a.version &&
      c.os === a.os &&
      c.arch === a.arch &&
      c.peerId === a.peerId
    ) {
      return c.violation;
    }
    const tags: ReadonlyArray<readonly [string, string]> = [
      ['deployment_type', a.deploymentType],
      ['version', a.version],
      ['os', a.os],
      ['arch', a.arch],
      ['peer_id', a.peerId],
    ];
    let violation: SchemaViolation | undefined;
    for (const [tag, value] of tags) {
      violation = checkTag(CONNECTION_SCHEMA, tag, value, true);
      if (violation !== undefined) break;
    }
    this.#checkedAgent = {
      deploymentType: a.deploymentType,
      version: a.version,
      os: a.os,
      arch: a.arch,
      peerId: a.peerId,
      violation,
    };
    return violation;
  }

  /** Wall time of one management sync message, in seconds. */
  recordSync(seconds: number): boolean {
    return this.#record({
      measurement: 'netbird_sync',
      tags: this.#agentTags(),
      fields: { duration_seconds: seconds },
    });
  }

  recordSyncPhase(phase: SyncPhase, seconds: number): boolean {
    return this.#record({
      measurement: 'netbird_sync_phase',
      tags: { ...this.#agentTags(), phase },
      fields: { duration_seconds: seconds },
    });
  }

  recordLogin(seconds: number, success: boolean): boolean {
    const a = this.#agent;
    const result: LoginResult = success ? 'success' : 'failure';
    return this.#record({
      measurement: 'netbird_login',
      tags: {
        deployment_type: a.deploymentType,
        result,
        version: a.version,
        os: a.os,
        arch: a.arch,
        peer_id: a.peerId,
      },
      fields: { duration_seconds: seconds },
    });
  }

  /** Everything buffered, as line protocol; non-destructive (debug bundle `metrics.txt`). */
  exportLineProtocol(): string {
    return this.store.exportLineProtocol();
  }

  stats(): ClientMetricsStats {
    this.#checkSelfMetrics();
    const s = this.store.stats;
    return {
      recorded: this.#recorded,
      rejectedBySchema: this.#rejected,
      rejectedByReason: Object.fromEntries(this.#rejectedByReason),
      skippedConnections: this.#skippedConnections,
      droppedByAge: s.droppedByAge,
      droppedBySize: s.droppedBySize,
      stored: this.store.size,
      push: this.#exports.pushStats(),
      delivery: this.#exports.deliveryStats(),
    };
  }

  /**
   * Starts the NetBird push (first attempt at once, then every interval). Reads the
   * `NB_METRICS_*` variables now; `options` win over them. Returns false (with a diag message)
   * when it is already running or cannot start. Invalid settings are one diag warning and their
   * fallback (a ConfigError in strict mode).
   */
  startPush(options?: PushOptions): boolean {
    const started = this.#exports.startPush(options);
    this.#checkSelfMetrics();
    return started;
  }

  /** Stops the push and waits for its loop to exit; a later `startPush()` works. */
  stopPush(): Promise<void> {
    return this.#exports.stopPush();
  }

  /** Management's toggle; ignored when `NB_METRICS_PUSH_ENABLED` or `push.enabled` is set. */
  setPushEnabledByManagement(enabled: boolean): void {
    this.#exports.setPushEnabledByManagement(enabled);
    this.#checkSelfMetrics();
  }

  /** Pushes what is stored now (when push runs) and flushes a MeterProvider we built. */
  forceFlush(): Promise<void> {
    this.#checkSelfMetrics();
    return this.#exports.forceFlush();
  }

  /** A final push within a deadline, then stops everything this instance started. */
  shutdown(): Promise<void> {
    return this.#exports.shutdown();
  }

  /** The provider NetBird's instruments record into now. */
  get meterProvider(): MeterProvider {
    return this.#recorder.meterProvider;
  }

  /**
   * Instrumentation: the host SDK's provider, which then wins over the one given or built at
   * creation. A no-op provider is ignored, so the global one is still looked up.
   */
  setMeterProvider(meterProvider: MeterProvider): void {
    this.#recorder.setMeterProvider(meterProvider);
    this.#checkSelfMetrics();
  }

  /** Instrumentation: NetBird records no spans, so the tracer provider is not used. */
  setTracerProvider(_tracerProvider: TracerProvider): void {}

  /** Instrumentation: recordings go to OTel again (the default). */
  enable(): void {
    this.#recorder.setEnabled(true);
  }

  /** Instrumentation: recordings skip OTel; the timestamped store and the push go on. */
  disable(): void {
    this.#recorder.setEnabled(false);
  }

  getConfig(): ClientMetricsInstrumentationConfig {
    return { ...this.#instrumentationConfig, enabled: this.#recorder.enabled };
  }

  /** Kept and returned by `getConfig`; turning OTel recording on or off is `enable`/`disable`. */
  setConfig(config: ClientMetricsInstrumentationConfig = {}): void {
    this.#instrumentationConfig = { ...config };
  }

  /**
   * Registers the self-metrics once they are wanted (asked for, or the push runs), after
   * following a provider change since the last recording (which moves them along).
   */
  #checkSelfMetrics(): void {
    this.#recorder.bind();
    this.#selfMetrics.update(this.#exports.pushRunning, this.#recorder.meter);
  }

  #agentTags(): Record<string, string> {
    const a = this.#agent;
    return {
      deployment_type: a.deploymentType,
      version: a.version,
      os: a.os,
      arch: a.arch,
      peer_id: a.peerId,
    };
  }

  #pairId(remotePublicKey: string): PairId {
    let pair = this.#pairIds.get(remotePublicKey);
    if (pair === undefined) {
      const id = connectionPairId(this.#agent.peerId, peerId(remotePublicKey));
      pair = { id, violation: checkTag(CONNECTION_SCHEMA, 'connection_pair_id', id, true) };
      if (this.#pairIds.size >= PAIR_ID_CACHE_MAX) this.#pairIds.clear();
      this.#pairIds.set(remotePublicKey, pair);
    }
    return pair;
  }

  #record(sample: Sample): boolean {
    if (!this.#accept(sample)) return false;
    this.#emit(sample, undefined);
    return true;
  }

  #accept(sample: Sample): boolean {
    const violation = checkSample(sample);
    if (violation === undefined) return true;
    this.#refuse(sample, violation);
    return false;
  }

  #refuse(sample: Sample, violation: SchemaViolation): void {
    this.#reject(`${sample.measurement}: ${describeViolation(violation)}`, violation.kind);
  }

  #reject(message: string, reason: string = message): void {
    this.#rejected++;
    const seen = this.#rejectedByReason.get(reason) ?? 0;
    this.#rejectedByReason.set(reason, seen + 1);
    // Once per reason: a misbehaving caller must not flood the log.
    if (seen === 0) diag.warn(`netbird-otel-metrics: sample not recorded: ${message}`);
  }

  #emit(sample: Sample, stages: StageDurations | undefined): void {
    this.store.add(sample);
    if (stages === undefined) this.#recorder.record(sample);
    else this.#recorder.recordConnection(sample, stages);
    this.#recorded++;
  }
}

export function createClientMetrics(options: ClientMetricsOptions): ClientMetrics {
  return new ClientMetrics(options);
}

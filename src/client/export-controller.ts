import { diag, type MeterProvider, metrics } from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { type Env, unwrap } from '../config/env.js';
import {
  type MetricsExportOptions,
  type ResolvedConfig,
  resolveConfig,
} from '../exporters/export-config.js';
import { buildPipeline, type Pipeline } from '../exporters/otel/pipeline.js';
import {
  InfluxPusher,
  newPushCounters,
  type PushAgent,
  type PushCounters,
} from '../exporters/push/ingest-pusher.js';
import {
  type PushOptions,
  type PushSettings,
  resolvePushSettings,
} from '../exporters/push/push-settings.js';
import type { PushTarget } from '../exporters/push/push-target.js';
import type { RemoteConfigSource } from '../exporters/push/remote-config.js';
import type { SampleStore } from '../exporters/push/sample-store.js';
import { registerSelfMetrics } from '../exporters/push/self-metrics.js';
import { isGoVersion } from '../protocol/version-range.js';

/**
 * Everything that leaves the process, for one ClientMetrics: the OTel pipeline it built (if
 * any), the NetBird push and its on/off rules, and the counters about both.
 *
 * On/off: `startPush`/`stopPush` always act. Management's toggle
 * (`setPushEnabledByManagement`) acts only when push was not set explicitly — by the `push.enabled`
 * option or by a present `NB_METRICS_PUSH_ENABLED` (DESIGN decision 11).
 */

export interface ExportControllerOptions extends MetricsExportOptions {
  /** The application's provider: our instruments go there and we build no pipeline. */
  meterProvider?: MeterProvider;
  /** Extra readers for the MeterProvider we build (ignored with `meterProvider`). */
  metricReaders?: readonly IMetricReader[];
  /** Default `process.env`, read at creation and at each `startPush()`. */
  env?: Env;
  store: SampleStore;
  agent: () => PushAgent;
  /** Samples the schema refused, for the self-metrics. */
  schemaRejections: () => number;
  /** Replaces the remote-config manager (tests, or a caller with its own source). */
  remoteConfig?: RemoteConfigSource;
}

export interface PushStats extends Readonly<PushCounters> {
  readonly running: boolean;
  /** Where the last cycle pushed, or why it did not. */
  readonly lastTarget: PushTarget | undefined;
}

export class ExportController {
  /** Where the instruments are created. */
  readonly meterProvider: MeterProvider;
  readonly config: ResolvedConfig;
  /** The pipeline we built and own (shut down with us); undefined when none was needed. */
  readonly pipeline: Pipeline | undefined;
  readonly #env: Env;
  readonly #options: ExportControllerOptions;
  readonly #counters = newPushCounters();
  #pusher: InfluxPusher | undefined;
  #lastTarget: PushTarget | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(options: ExportControllerOptions) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.config = unwrap(resolveConfig(this.#env, options));
    if (options.meterProvider !== undefined) {
      this.pipeline = undefined;
      this.meterProvider = options.meterProvider;
      const ours = [...this.config.exporters].filter((e) => e !== 'influx');
      if (ours.length > 0) {
        diag.warn(
          `netbird-otel-metrics: a meterProvider was given, so exporters ${ours.join(', ')} are not built; configure them on that provider`,
        );
      }
    } else {
      this.pipeline = buildPipeline(this.config, options.metricReaders);
      this.meterProvider = this.pipeline?.meterProvider ?? metrics.getMeterProvider();
    }
    registerSelfMetrics(this.meterProvider, () => {
      const c = this.#counters;
      const s = options.store.stats;
      return {
        requests: c.requests,
        samplesSent: c.samplesSent,
        retries: c.retries,
        failures: c.failures,
        droppedByAge: s.droppedByAge,
        droppedBySize: s.droppedBySize,
        droppedByServer: c.samplesDroppedByServer,
        rejectedBySchema: options.schemaRejections(),
      };
    });
    if (this.config.push?.enabled) this.startPush();
  }

  get pushRunning(): boolean {
    return this.#pusher?.running ?? false;
  }

  pushStats(): PushStats {
    return {
      ...this.#counters,
      running: this.pushRunning,
      lastTarget: this.#pusher?.lastTarget ?? this.#lastTarget,
    };
  }

  /**
   * Starts the push loop (first attempt at once). Reads the `NB_METRICS_*` variables now;
   * `options` win over them and over the options given at creation. Returns whether a loop was
   * started: not when one runs already, `influx` is not selected, after shutdown, or when the
   * agent version is not a version and force-sending is off (reference §3.2).
   * Throws a ConfigError when a variable or option is invalid.
   */
  startPush(options: PushOptions = {}): boolean {
    if (this.#shutdown !== undefined) {
      diag.warn('netbird-otel-metrics: startPush after shutdown ignored');
      return false;
    }
    if (!this.config.exporters.has('influx')) {
      diag.warn('netbird-otel-metrics: startPush ignored: the influx exporter is not selected');
      return false;
    }
    if (this.pushRunning) {
      diag.warn('netbird-otel-metrics: push already running');
      return false;
    }
    const settings: PushSettings = unwrap(
      resolvePushSettings(this.#env, { ...this.#options.push, ...options }),
    );
    const version = this.#options.agent().version;
    if (!settings.forceSending && !isGoVersion(version)) {
      diag.error(
        `netbird-otel-metrics: push not started: agent version ${JSON.stringify(version)} is not a version (set NB_METRICS_FORCE_SENDING to push anyway)`,
      );
      return false;
    }
    this.#pusher = new InfluxPusher({
      store: this.#options.store,
      settings,
      agent: this.#options.agent,
      counters: this.#counters,
      ...(this.#options.remoteConfig ? { remoteConfig: this.#options.remoteConfig } : {}),
    });
    this.#pusher.start();
    return true;
  }

  /** Stops the loop (aborting a request in flight) and waits until it has exited. */
  async stopPush(): Promise<void> {
    const pusher = this.#pusher;
    if (pusher === undefined) return;
    this.#lastTarget = pusher.lastTarget;
    await pusher.stop();
  }

  /** Management's per-account toggle; ignored when push was set explicitly. */
  setPushEnabledByManagement(enabled: boolean): void {
    const settings = this.config.push;
    if (settings === undefined || this.#shutdown !== undefined) return;
    // Re-read: the variable may have appeared since creation.
    const explicit = resolvePushSettings(this.#env, this.#options.push);
    if (settings.enabledIsExplicit || (explicit.ok && explicit.value.enabledIsExplicit)) {
      diag.debug('netbird-otel-metrics: management push toggle ignored: set explicitly');
      return;
    }
    if (enabled && !this.pushRunning) {
      try {
        this.startPush();
      } catch (error) {
        diag.error('netbird-otel-metrics: push not started', error);
      }
    } else if (!enabled && this.pushRunning) {
      this.stopPush().catch((error: unknown) =>
        diag.error('netbird-otel-metrics: stopPush failed', error),
      );
    }
  }

  /** Pushes what is stored now (when push runs) and flushes the pipeline we own. */
  async forceFlush(): Promise<void> {
    await this.#pusher?.flush();
    await this.pipeline?.meterProvider.forceFlush();
  }

  /**
   * A final push within `push.shutdownTimeoutMs`, then stops the loop and shuts down the
   * pipeline we own (which flushes its exporters). Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    const timeoutMs = this.config.push?.shutdownTimeoutMs ?? 5000;
    const pusher = this.#pusher;
    if (pusher?.running) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      timer.unref();
      const expired = new Promise<void>((resolve) =>
        deadline.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      try {
        await Promise.race([pusher.flush(deadline.signal), expired]);
      } finally {
        clearTimeout(timer);
        deadline.abort();
      }
    }
    await this.stopPush();
    await this.pipeline?.meterProvider.shutdown({ timeoutMillis: timeoutMs });
  }
}

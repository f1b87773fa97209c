import { diag, type MeterProvider } from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { Env } from '../config/env.js';
import {
  type MetricsExportOptions,
  type ResolvedConfig,
  resolveConfig,
  settleConfig,
} from '../exporters/export-config.js';
import { buildPipeline, type Pipeline } from '../exporters/otel/pipeline.js';
import {
  IngestPusher,
  type PushAgent,
  type PushCounters,
  PushTally,
} from '../exporters/push/ingest-pusher.js';
import {
  type PushOptions,
  type PushSettings,
  resolvePushSettings,
} from '../exporters/push/push-settings.js';
import type { PushTarget } from '../exporters/push/push-target.js';
import type { RemoteConfigSource } from '../exporters/push/remote-config.js';
import type { SampleStore } from '../exporters/push/sample-store.js';
import { holdOpenWhile, settleWithin } from '../exporters/send/deadline.js';
import type { LineTransport } from '../exporters/send/http-transport.js';
import { type Scheduler, systemScheduler } from '../exporters/send/scheduler.js';
import { isGoVersion } from '../protocol/version-range.js';

export interface ExportControllerOptions extends MetricsExportOptions {
  /** The application's provider: our instruments go there and we build no pipeline. */
  meterProvider?: MeterProvider;
  /** Extra readers for the MeterProvider we build (ignored with `meterProvider`). */
  metricReaders?: readonly IMetricReader[];
  /** Resource attributes of a MeterProvider we build, under those the configuration sets. */
  resourceDefaults?: Readonly<Record<string, string>>;
  /** Default `process.env`, read at creation and at each `startPush()`. */
  env?: Env;
  store: SampleStore;
  agent: () => PushAgent;
  /** Replaces the remote-config manager (tests, or a caller with its own source). */
  remoteConfig?: RemoteConfigSource;
  /** Timers and clock of the push and of the flush and shutdown deadlines; for tests. */
  scheduler?: Scheduler;
  /** Replaces the push's HTTP transport; for tests. */
  transport?: LineTransport;
}

export interface PushStats extends Readonly<PushCounters> {
  readonly running: boolean;
  /** Where the last cycle pushed, or why it did not. */
  readonly lastTarget: PushTarget | undefined;
}

/** What `forceFlush()` and `shutdown()` could not deliver by their deadline. */
export interface DeliveryStats {
  /** `forceFlush()` and `shutdown()` calls that ended without delivering everything. */
  readonly incomplete: number;
  /**
   * Samples still in the store when the last `forceFlush()` or `shutdown()` ended (0 when it
   * delivered everything). They stay stored: a later push or `exportLineProtocol()` has them.
   */
  readonly samplesUndelivered: number;
  /** Why the last incomplete one fell short (the push, the OTel pipeline, or both). */
  readonly lastError: string | undefined;
}

/**
 * Everything that leaves the process, for one ClientMetrics: the OTel pipeline it built (if
 * any), the NetBird push and its on/off rules, and the counters about both.
 *
 * On/off: `startPush`/`stopPush` always act. Management's toggle
 * (`setPushEnabledByManagement`) acts only when push was not set explicitly — by the
 * `push.enabled` option or by a present `NB_METRICS_PUSH_ENABLED`: an operator who set either
 * has taken the decision away from management.
 */
export class ExportController {
  readonly config: ResolvedConfig;
  /** The pipeline we built and own (shut down with us); undefined when none was needed. */
  readonly pipeline: Pipeline | undefined;
  readonly #env: Env;
  readonly #options: ExportControllerOptions;
  readonly #tally = new PushTally();
  readonly #scheduler: Scheduler;
  #delivery: DeliveryStats = { incomplete: 0, samplesUndelivered: 0, lastError: undefined };
  #pusher: IngestPusher | undefined;
  #lastTarget: PushTarget | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(options: ExportControllerOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#env = options.env ?? process.env;
    this.config = settleConfig(this.#env, options, resolveConfig(this.#env, options));
    if (options.meterProvider !== undefined) {
      this.pipeline = undefined;
      const ours = [...this.config.exporters].filter((e) => e !== 'influx');
      // OTEL_METRICS_EXPORTER is usually meant for that provider's own SDK: nothing to say then.
      if (ours.length > 0 && this.config.exportersFrom !== 'OTEL_METRICS_EXPORTER') {
        diag.warn(
          `netbird-otel-metrics: a meterProvider was given, so exporters ${ours.join(', ')} are not built; configure them on that provider`,
        );
      }
    } else {
      // OTEL_SDK_DISABLED: no provider of ours at all, not even for the caller's extra readers.
      this.pipeline = this.config.sdkDisabled
        ? undefined
        : buildPipeline(this.config, options.metricReaders, options.resourceDefaults);
    }
    if (this.config.push?.enabled) this.startPush();
  }

  get pushRunning(): boolean {
    return this.#pusher?.running ?? false;
  }

  pushStats(): PushStats {
    return {
      ...this.#tally.snapshot(),
      running: this.pushRunning,
      lastTarget: this.#pusher?.lastTarget ?? this.#lastTarget,
    };
  }

  deliveryStats(): DeliveryStats {
    return { ...this.#delivery };
  }

  /**
   * Starts the push loop (first attempt at once). Reads the `NB_METRICS_*` variables now;
   * `options` win over them and over the options given at creation. Returns whether a loop was
   * started: not when one runs already, `influx` is not selected, after shutdown, or when the
   * agent version is not a version and force-sending is off (a development build must not
   * report into a fleet's data unless asked to).
   * An invalid variable or option is one diag warning and its fallback (a ConfigError in strict mode).
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
    const settings: PushSettings = settleConfig(
      this.#env,
      this.#options,
      resolvePushSettings(this.#env, { ...this.#options.push, ...options }),
    );
    const version = this.#options.agent().version;
    if (!settings.forceSending && !isGoVersion(version)) {
      diag.error(
        `netbird-otel-metrics: push not started: agent version ${JSON.stringify(version)} is not a version (set NB_METRICS_FORCE_SENDING to push anyway)`,
      );
      return false;
    }
    this.#pusher = new IngestPusher({
      store: this.#options.store,
      settings,
      agent: this.#options.agent,
      tally: this.#tally,
      scheduler: this.#scheduler,
      ...(this.#options.transport ? { transport: this.#options.transport } : {}),
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

  /**
   * Pushes what is stored now (when push runs) and flushes the pipeline we own, both within
   * the deadline (`push.shutdownTimeoutMs`). Never rejects, whatever the backends do: what did
   * not get through is counted in `deliveryStats()` and reported once through `diag.warn`.
   */
  async forceFlush(): Promise<void> {
    const timeoutMs = this.#deadlineMs();
    const [push, pipeline] = await holdOpenWhile(
      Promise.all([
        this.#flushPush(timeoutMs),
        this.#settlePipeline((p) => p.forceFlush({ timeoutMillis: timeoutMs }), timeoutMs),
      ]),
      timeoutMs,
    );
    this.#report('forceFlush', push, pipeline);
  }

  /**
   * A final push, then stops the loop; meanwhile shuts down the pipeline we own (which flushes
   * its exporters). Both share one deadline, `push.shutdownTimeoutMs`, and it never rejects:
   * what was not delivered is reported as by `forceFlush()`. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    const timeoutMs = this.#deadlineMs();
    const finalPush = async () => {
      const error = await this.#flushPush(timeoutMs);
      await this.stopPush();
      return error;
    };
    const [push, pipeline] = await holdOpenWhile(
      Promise.all([
        finalPush(),
        this.#settlePipeline((p) => p.shutdown({ timeoutMillis: timeoutMs }), timeoutMs),
      ]),
      timeoutMs,
    );
    this.#report('shutdown', push, pipeline);
  }

  #deadlineMs(): number {
    return this.config.push?.shutdownTimeoutMs ?? 5000;
  }

  /** Why the push did not deliver everything, or undefined when it did (or is off). */
  async #flushPush(timeoutMs: number): Promise<string | undefined> {
    const pusher = this.#pusher;
    if (!pusher?.running) return undefined;
    const result = await pusher.flush(timeoutMs);
    return result.delivered ? undefined : result.reason;
  }

  /** Why the pipeline's flush or shutdown failed, or undefined when it worked (or is none). */
  async #settlePipeline(
    operation: (provider: Pipeline['meterProvider']) => Promise<void>,
    timeoutMs: number,
  ): Promise<string | undefined> {
    const provider = this.pipeline?.meterProvider;
    if (provider === undefined) return undefined;
    // The SDK rejects when its own timeout passes, and an exporter may never answer at all.
    const settled = await settleWithin(
      Promise.resolve().then(() => operation(provider)),
      timeoutMs,
      this.#scheduler,
    );
    return settled.ok ? undefined : settled.error;
  }

  #report(what: string, push: string | undefined, pipeline: string | undefined): void {
    const problems = [
      ...(push !== undefined ? [`push: ${push}`] : []),
      ...(pipeline !== undefined ? [`OTel pipeline: ${pipeline}`] : []),
    ];
    if (problems.length === 0) {
      this.#delivery = { ...this.#delivery, samplesUndelivered: 0 };
      return;
    }
    const left = push !== undefined ? this.#options.store.size : 0;
    const lastError = problems.join('; ');
    this.#delivery = {
      incomplete: this.#delivery.incomplete + 1,
      samplesUndelivered: left,
      lastError,
    };
    diag.warn(
      `netbird-otel-metrics: ${what} did not deliver everything (${lastError})${left > 0 ? `; ${left} samples stay in the store` : ''}`,
    );
  }
}

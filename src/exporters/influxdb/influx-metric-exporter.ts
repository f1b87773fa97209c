import { diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { BatchSender, type DrainOutcome, type WaitPolicy } from '../send/batch-sender.js';
import { type LineTransport, postLineProtocol } from '../send/http-transport.js';
import { LineQueue, type TakenLines } from '../send/line-queue.js';
import { type Scheduler, systemScheduler } from '../send/scheduler.js';
import {
  type LineLayoutOptions,
  newSerializeStats,
  resourceMetricsToLines,
  type SerializeStats,
} from './otel-to-line-protocol.js';
import { INFLUX_METRICS_SCHEMAS, type InfluxMetricsSchema } from './telegraf-schemas.js';

export interface InfluxLineProtocolExporterOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086` (a path prefix is kept). */
  url: string;
  /** Default: 2 when `bucket` is given, else 1. */
  apiVersion?: 1 | 2;
  /** v1: database (required) and retention policy. */
  database?: string;
  retentionPolicy?: string;
  /** v1: basic-auth credentials. */
  username?: string;
  password?: string;
  /** v2: organization and bucket (bucket required) and token. */
  org?: string;
  bucket?: string;
  token?: string;
  headers?: Readonly<Record<string, string>>;
  /** Per request. Default 10 000. */
  timeoutMillis?: number;
  /** Default `cumulative`. */
  temporality?: 'delta' | 'cumulative';
  /** The line layout. Default `telegraf-prometheus-v1`. */
  schema?: InfluxMetricsSchema;
  /** Resource attributes not written as tags. Default `DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES`. */
  excludeResourceAttributes?: readonly string[];
  /** Default 5000 lines (InfluxData's batch advice). */
  maxBatchLines?: number;
  /** Uncompressed bytes per request. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Lines kept for retry. Default 20 000. */
  maxBufferLines?: number;
  /** Backoff after the first failure, doubling up to `maxRetryDelayMillis`. Defaults 1 s, 60 s. */
  minRetryDelayMillis?: number;
  maxRetryDelayMillis?: number;
  /** Timers and clock of retries and request timeouts; for tests. */
  scheduler?: Scheduler;
  /** Source of the backoff's jitter, in [0, 1); for tests. */
  random?: () => number;
  /** Default: a gzip POST with `fetch`; for tests. */
  transport?: LineTransport;
}

export interface InfluxExporterStats {
  requests: number;
  linesSent: number;
  /** Dropped from the full retry buffer. */
  linesDroppedByBound: number;
  /** Refused by a non-retryable 4xx. */
  linesDroppedByServer: number;
  /** Still unsent when `shutdown()` finished. */
  linesDroppedAtShutdown: number;
  retries: number;
  failures: number;
  buffered: number;
  serializer: SerializeStats;
  lastError: string | undefined;
}

const DEFAULTS = {
  timeoutMillis: 10_000,
  maxBatchLines: 5000,
  maxBatchBytes: 1024 * 1024,
  maxBufferLines: 20_000,
  minRetryDelayMillis: 1000,
  maxRetryDelayMillis: 60_000,
};

/**
 * A `PushMetricExporter` that writes any OTel metrics to InfluxDB (the "aggregated" mode; the
 * per-event NetBird samples take the push path instead). Use it with a
 * `PeriodicExportingMetricReader`.
 *
 * - Writes what the OpenTelemetry Collector's influxdb exporter writes for the same metrics, so
 *   dashboards made for it work unchanged. `schema` (its `metrics_schema`), default
 *   `telegraf-prometheus-v1`: the measurement is the metric name, a number is field `counter`
 *   (monotonic cumulative sums) or `gauge`, a histogram has `count`, `sum`, `min`, `max` and
 *   one cumulative count per bucket bound (`0.005`, …, `+Inf`); `telegraf-prometheus-v2`:
 *   measurement `prometheus`, fields `<name>`, `<name>_count`/`_sum`/`_min`/`_max`, and one
 *   point per bucket with tag `le` and field `<name>_bucket`. Every point has the integer field
 *   `start_time_unix_nano` and the point's end time; tags are the resource attributes,
 *   `otel.library.name`/`otel.library.version` and the point's attributes.
 * - `temporality`, default `cumulative`, as the collector expects (it writes only cumulative
 *   monotonic sums as `counter`). `delta` (cumulative kept for up-down counters) writes only
 *   the series that changed in an interval, with sums as `gauge` increments and per-interval
 *   buckets.
 * - `excludeResourceAttributes`, default `DEFAULT_EXCLUDED_RESOURCE_ATTRIBUTES`
 *   (`process.pid`, `process.command_args`, `process.command`, `process.executable.path`,
 *   `service.instance.id`): resource attributes not written as tags, because NodeSDK's
 *   detectors give them a new value at every start, so each restart would begin new series.
 *   Exact keys or prefixes ending in `*`; `[]` writes every attribute, as the collector does.
 *   Without them, two processes of one service on one host write the same series: tell them
 *   apart with an attribute of your own (e.g. a stable `service.instance.id` set in
 *   `OTEL_RESOURCE_ATTRIBUTES`, with this option set to a list without it).
 * - v1 API: `POST {url}/write?db=&rp=` (basic auth when a username is given); no `precision`
 *   parameter, because nanoseconds are the v1 default and 1.x does not know the v2 spellings.
 *   v2 API: `POST {url}/api/v2/write?org=&bucket=&precision=ns` with `Authorization: Token`.
 *   VictoriaMetrics and InfluxDB 3 accept both.
 * - gzip bodies of at most `maxBatchLines` lines and `maxBatchBytes` bytes, sent one after the
 *   other; the same answer classes as the NetBird push: 2xx done, 408/429/5xx/network errors
 *   kept and retried with exponential backoff (honouring `Retry-After`), other 4xx dropped.
 * - Kept lines wait in a bounded buffer (`maxBufferLines`, oldest dropped and counted).
 * - `export()` never throws and calls back exactly once, asynchronously. `forceFlush()` sends
 *   everything buffered now; `shutdown()` flushes once and is idempotent. Timers are unref'd.
 */
export class InfluxLineProtocolExporter implements PushMetricExporter {
  readonly endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #temporality: 'delta' | 'cumulative';
  readonly #minRetryMs: number;
  readonly #queue: LineQueue;
  readonly #sender: BatchSender<TakenLines>;
  readonly #transport: LineTransport;
  readonly #serializer = newSerializeStats();
  readonly #layout: LineLayoutOptions;
  #droppedAtShutdown = 0;
  #shutdown: Promise<void> | undefined;
  #warnedExponential = false;

  constructor(options: InfluxLineProtocolExporterOptions) {
    const version = options.apiVersion ?? (options.bucket !== undefined ? 2 : 1);
    const base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`InfluxLineProtocolExporter: url must be http or https: ${options.url}`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#headers = { ...options.headers };
    if (version === 1) {
      if (!options.database) throw new TypeError('InfluxLineProtocolExporter: v1 needs `database`');
      const url = new URL('write', base);
      url.searchParams.set('db', options.database);
      if (options.retentionPolicy) url.searchParams.set('rp', options.retentionPolicy);
      this.endpoint = url.href;
      if (options.username !== undefined) {
        const credentials = `${options.username}:${options.password ?? ''}`;
        this.#headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      }
    } else {
      if (!options.bucket) throw new TypeError('InfluxLineProtocolExporter: v2 needs `bucket`');
      const url = new URL('api/v2/write', base);
      if (options.org) url.searchParams.set('org', options.org);
      url.searchParams.set('bucket', options.bucket);
      url.searchParams.set('precision', 'ns');
      this.endpoint = url.href;
      if (options.token) this.#headers.Authorization = `Token ${options.token}`;
    }
    const positive = (name: keyof typeof DEFAULTS): number => {
      const value = options[name] ?? DEFAULTS[name];
      if (!(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`InfluxLineProtocolExporter: ${name} must be > 0, got ${value}`);
      }
      return value;
    };
    this.#minRetryMs = positive('minRetryDelayMillis');
    this.#queue = new LineQueue(positive('maxBufferLines'));
    const maxBatchLines = positive('maxBatchLines');
    this.#sender = new BatchSender({
      queue: this.#queue,
      maxBatchItems: maxBatchLines,
      maxBatchBytes: positive('maxBatchBytes'),
      // Bounded even if exports arrive as fast as lines are sent.
      maxRequests: Math.ceil(this.#queue.maxLines / maxBatchLines) + 1,
      requestTimeoutMs: positive('timeoutMillis'),
      maxRetryMs: positive('maxRetryDelayMillis'),
      unit: 'lines',
      scheduler: options.scheduler ?? systemScheduler,
      random: options.random ?? Math.random,
    });
    this.#transport = options.transport ?? postLineProtocol;
    this.#temporality = options.temporality ?? 'cumulative';
    this.#layout = layoutOptions(options);
  }

  get stats(): InfluxExporterStats {
    const c = this.#sender.counters;
    return {
      requests: c.requests,
      linesSent: c.sent,
      linesDroppedByBound: this.#queue.dropped,
      linesDroppedByServer: c.droppedByServer,
      linesDroppedAtShutdown: this.#droppedAtShutdown,
      retries: c.retries,
      failures: c.failures,
      buffered: this.#queue.size,
      serializer: { ...this.#serializer },
      lastError: c.lastError,
    };
  }

  /** Pure: decided once per instrument type by the reader. */
  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    if (this.#temporality === 'cumulative') return AggregationTemporality.CUMULATIVE;
    return instrumentType === InstrumentType.UP_DOWN_COUNTER ||
      instrumentType === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
      ? AggregationTemporality.CUMULATIVE
      : AggregationTemporality.DELTA;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.#shutdown !== undefined) {
      setImmediate(() =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: new Error('exporter is shut down'),
        }),
      );
      return;
    }
    let lines: string[];
    try {
      const skippedBefore = this.#serializer.skippedExponentialHistograms;
      lines = resourceMetricsToLines(metrics, this.#serializer, this.#layout);
      if (
        !this.#warnedExponential &&
        this.#serializer.skippedExponentialHistograms > skippedBefore
      ) {
        this.#warnedExponential = true;
        diag.warn(
          'netbird-otel-metrics: InfluxLineProtocolExporter skips exponential histograms; use explicit buckets',
        );
      }
    } catch (error) {
      setImmediate(() => resultCallback({ code: ExportResultCode.FAILED, error: asError(error) }));
      return;
    }
    this.#queue.push(lines);
    this.#sender
      .run(() => this.#send('all'))
      .then(resultCallback, (error: unknown) =>
        resultCallback({ code: ExportResultCode.FAILED, error: asError(error) }),
      );
  }

  /** Sends everything buffered now (ignoring the backoff, but not a server's `Retry-After`). */
  async forceFlush(): Promise<void> {
    await this.#sender.run(() => this.#send('retry-after'));
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#sender.disarm();
      await this.#sender.run(() => this.#send('retry-after'));
      this.#sender.disarm();
      const left = this.#queue.clear();
      if (left > 0) {
        this.#droppedAtShutdown += left;
        diag.warn(
          `netbird-otel-metrics: InfluxLineProtocolExporter shut down with ${left} unsent lines`,
        );
      }
    })();
    return this.#shutdown;
  }

  /** One drain, its outcome as an export result; a retry stays scheduled while lines wait. */
  async #send(waits: WaitPolicy): Promise<ExportResult> {
    const outcome = await this.#sender.drain({
      label: 'InfluxDB write',
      baseDelayMs: this.#minRetryMs,
      waits,
      send: (body, signal) =>
        this.#transport(this.endpoint, body, {
          headers: this.#headers,
          signal,
          now: () => this.#sender.scheduler.now(),
        }),
    });
    return this.#result(outcome);
  }

  #result(outcome: DrainOutcome): ExportResult {
    const scheduler = this.#sender.scheduler;
    switch (outcome.kind) {
      case 'done':
        return { code: ExportResultCode.SUCCESS };
      case 'rejected':
        return failed(`InfluxDB refused the write: ${outcome.message}`);
      case 'retry':
        this.#armRetry(outcome.delayMs);
        return failed(`InfluxDB write failed: ${outcome.message}`);
      case 'waiting':
        // Timers and the clock may disagree by a millisecond: make sure a retry stays due.
        if (!this.#sender.armed) this.#armRetry(outcome.untilMs - scheduler.now());
        return failed(`waiting to retry: ${this.#sender.counters.lastError}`);
      default:
        return failed(`InfluxDB write not sent: ${outcome.kind}`);
    }
  }

  #armRetry(delayMs: number): void {
    if (this.#shutdown !== undefined) return;
    this.#sender.arm(delayMs, () => this.#send('all'));
  }
}

function failed(message: string): ExportResult {
  return { code: ExportResultCode.FAILED, error: new Error(message) };
}

function layoutOptions(options: InfluxLineProtocolExporterOptions): LineLayoutOptions {
  const layout: LineLayoutOptions = {};
  if (options.schema !== undefined) {
    if (!INFLUX_METRICS_SCHEMAS.includes(options.schema)) {
      throw new TypeError(`InfluxLineProtocolExporter: unknown schema ${options.schema}`);
    }
    layout.schema = options.schema;
  }
  if (options.excludeResourceAttributes !== undefined) {
    layout.excludeResourceAttributes = [...options.excludeResourceAttributes];
  }
  return layout;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

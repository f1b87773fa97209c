import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, ROOT_CONTEXT } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InfluxLineProtocolExporter,
  type InfluxLineProtocolExporterOptions,
} from '../../src/exporters/influxdb/influx-metric-exporter.js';
import { resourceMetricsToLines } from '../../src/exporters/influxdb/otel-to-line-protocol.js';
import { type RecordingServer, reply, startRecordingServer } from '../helpers/recording-server.js';
import { TestReader } from '../helpers/test-reader.js';

let server: RecordingServer | undefined;
let exporter: InfluxLineProtocolExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await server?.close();
  server = undefined;
});

async function setup(options: Partial<InfluxLineProtocolExporterOptions> = {}) {
  server = await startRecordingServer();
  exporter = new InfluxLineProtocolExporter({ url: server.url, database: 'db1', ...options });
  const e = exporter;
  const reader = new TestReader({
    aggregationTemporalitySelector: (t) => e.selectAggregationTemporality(t),
  });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('m');
  const gauge = meter.createGauge('g');
  /** Collects one point per value, each a separate series (attribute `i`). */
  const collect = async (...values: number[]): Promise<ResourceMetrics> => {
    values.forEach((v, i) => {
      gauge.record(v, { i: String(i) });
    });
    return reader.collectMetrics();
  };
  return { server, exporter: e, collect };
}

function exportOnce(e: InfluxLineProtocolExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve, reject) => {
    let calls = 0;
    let synchronous = true;
    e.export(rm, (result) => {
      calls++;
      if (synchronous) reject(new Error('callback ran synchronously'));
      // A second call would be a bug; let it surface after this tick.
      setTimeout(
        () => (calls === 1 ? resolve(result) : reject(new Error(`${calls} callbacks`))),
        20,
      );
    });
    synchronous = false;
  });
}

const gaugeValues = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(/ gauge=([^ ,]+)/.exec(l)?.[1]));

// The exporter's requests against a real HTTP server: URLs, auth, gzip, batches, answers read
// from the socket, drops and silences. When it retries is checked under fake timers in
// test/unit/influx-exporter-retry.test.ts.
describe('InfluxLineProtocolExporter over HTTP', () => {
  it('v1: POSTs gzip line protocol to /write?db=&rp= without a precision parameter, with basic auth', async () => {
    const t = await setup({ retentionPolicy: 'autogen', username: 'u', password: 'p w' });
    const rm = await t.collect(1.5);
    const result = await exportOnce(t.exporter, rm);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const [req] = t.server.requests;
    expect(req?.url).toBe('/write?db=db1&rp=autogen');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('u:p w').toString('base64')}`);
    expect(req?.text).toBe(`${resourceMetricsToLines(rm).join('\n')}\n`);
  });

  it('v2: POSTs to /api/v2/write?org=&bucket=&precision=ns with a token, keeping a path prefix', async () => {
    server = await startRecordingServer();
    exporter = new InfluxLineProtocolExporter({
      url: `${server.url}/influx`,
      org: 'netbird',
      bucket: 'metrics',
      token: 's3cret',
    });
    const reader = new TestReader();
    new MeterProvider({ readers: [reader] }).getMeter('m').createGauge('g').record(1);
    await exportOnce(exporter, await reader.collectMetrics());
    const [req] = server.requests;
    expect(req?.url).toBe('/influx/api/v2/write?org=netbird&bucket=metrics&precision=ns');
    expect(req?.headers.authorization).toBe('Token s3cret');
  });

  it('refuses options it cannot write with', () => {
    expect(() => new InfluxLineProtocolExporter({ url: 'http://x' })).toThrow(/database/);
    expect(() => new InfluxLineProtocolExporter({ url: 'http://x', apiVersion: 2 })).toThrow(
      /bucket/,
    );
    expect(() => new InfluxLineProtocolExporter({ url: 'ftp://x', database: 'd' })).toThrow(/http/);
    expect(
      () => new InfluxLineProtocolExporter({ url: 'http://x', database: 'd', maxBufferLines: 0 }),
    ).toThrow(/maxBufferLines/);
  });

  it('splits a large export into bounded batches sent one after another', async () => {
    const t = await setup({ maxBatchLines: 2 });
    const result = await exportOnce(t.exporter, await t.collect(0, 1, 2, 3, 4));
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(t.server.requests.map((r) => gaugeValues(r.text))).toEqual([[0, 1], [2, 3], [4]]);
    expect(t.exporter.stats).toMatchObject({ requests: 3, linesSent: 5, buffered: 0 });
  });

  it('drops a batch refused with a non-retryable 4xx and reports FAILED', async () => {
    const t = await setup();
    t.server.handle(reply(400, '{"error":"partial write: field type conflict"}'));
    const result = await exportOnce(t.exporter, await t.collect(1, 2));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('field type conflict');
    expect(t.exporter.stats).toMatchObject({ linesDroppedByServer: 2, buffered: 0, retries: 0 });
  });

  it('waits for Retry-After even on forceFlush', async () => {
    const t = await setup();
    t.server.handle(
      (_req, res, i) =>
        void (i === 0
          ? res.writeHead(429, { 'Retry-After': '60' }).end()
          : res.writeHead(204).end()),
    );
    await exportOnce(t.exporter, await t.collect(1));
    await t.exporter.forceFlush();
    expect(t.server.requests).toHaveLength(1);
    expect(t.exporter.stats.buffered).toBe(1);
  });

  it('forceFlush sends what waits for the backoff at once', async () => {
    const t = await setup({ minRetryDelayMillis: 60_000 });
    let fail = true;
    t.server.handle((_req, res) => {
      res.writeHead(fail ? 500 : 204).end();
      fail = false;
    });
    await exportOnce(t.exporter, await t.collect(1));
    expect(t.exporter.stats.buffered).toBe(1);
    await t.exporter.forceFlush();
    expect(t.exporter.stats).toMatchObject({ buffered: 0, linesSent: 1 });
  });

  it('bounds the retry buffer: over maxBufferLines the oldest lines are dropped and counted', async () => {
    const t = await setup({ maxBufferLines: 3, minRetryDelayMillis: 60_000 });
    t.server.handle(reply(500));
    await exportOnce(t.exporter, await t.collect(1, 2));
    await exportOnce(t.exporter, await t.collect(3, 4));
    expect(t.exporter.stats).toMatchObject({ buffered: 3, linesDroppedByBound: 1 });
    t.server.handle(reply(204));
    await t.exporter.forceFlush();
    expect(gaugeValues(t.server.requests.at(-1)?.text ?? '')).toEqual([2, 3, 4]);
  });

  it('treats a dropped connection and a silent server as retryable', async () => {
    const t = await setup({ timeoutMillis: 100, minRetryDelayMillis: 60_000 });
    t.server.handle((_req, res) => void res.socket?.destroy());
    expect((await exportOnce(t.exporter, await t.collect(1))).code).toBe(ExportResultCode.FAILED);
    t.server.handle(() => {});
    await t.exporter.forceFlush();
    expect(t.exporter.stats).toMatchObject({
      buffered: 1,
      retries: 2,
      lastError: 'request timed out',
    });
  });

  it('shutdown flushes, is idempotent, and later exports fail without a request', async () => {
    const t = await setup({ minRetryDelayMillis: 60_000 });
    t.server.handle((_req, res, i) => void res.writeHead(i === 0 ? 503 : 204).end());
    await exportOnce(t.exporter, await t.collect(1));
    const first = t.exporter.shutdown();
    expect(t.exporter.shutdown()).toBe(first);
    await first;
    expect(t.exporter.stats).toMatchObject({ buffered: 0, linesSent: 1 });
    const after = await exportOnce(t.exporter, await t.collect(2));
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(t.server.requests).toHaveLength(2);
  });

  it('counts lines it could not send before shutdown', async () => {
    const t = await setup({ minRetryDelayMillis: 60_000 });
    t.server.handle(reply(503));
    await exportOnce(t.exporter, await t.collect(1, 2));
    await t.exporter.shutdown();
    expect(t.exporter.stats).toMatchObject({ linesDroppedAtShutdown: 2, buffered: 0 });
  });

  it('never throws from export, even for malformed input', async () => {
    const t = await setup();
    const bad = { resource: { attributes: {} }, scopeMetrics: null } as unknown as ResourceMetrics;
    const result = await exportOnce(t.exporter, bad);
    expect(result.code).toBe(ExportResultCode.FAILED);
  });

  it('suppresses tracing around its own HTTP requests', async () => {
    // A minimal context manager, so context.active() reflects context.with().
    const storage = new AsyncLocalStorage<Context>();
    const manager: ContextManager = {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
      bind: (_ctx, target) => target,
      enable() {
        return this;
      },
      disable() {
        storage.disable();
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    const realFetch = globalThis.fetch;
    const seen: boolean[] = [];
    globalThis.fetch = (input, init) => {
      seen.push(isTracingSuppressed(context.active()));
      return realFetch(input, init);
    };
    try {
      const t = await setup();
      await exportOnce(t.exporter, await t.collect(1));
    } finally {
      globalThis.fetch = realFetch;
      context.disable();
    }
    expect(seen).toEqual([true]);
  });
});

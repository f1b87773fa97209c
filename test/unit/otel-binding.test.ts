// NetBird's instruments inside a host application's OpenTelemetry setup: they record into
// whatever provider is current when they record, can be handed to NodeSDK as an
// instrumentation, and say once through diag when recordings are going nowhere.
import { context, DiagLogLevel, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientMetrics, INSTRUMENTS, SELF_INSTRUMENTS } from '../../src/index.js';
import { captureDiag } from '../helpers/diag-capture.js';
import { fakeTransport, status } from '../helpers/fake-transport.js';
import { findHistogram, TestReader, testProvider } from '../helpers/test-reader.js';

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';

function client(options: Partial<Parameters<typeof createClientMetrics>[0]> = {}) {
  return createClientMetrics({
    version: '0.40.1',
    publicKey: KEY,
    os: 'linux',
    arch: 'amd64',
    env: {},
    exporters: ['none'],
    ...options,
  });
}

async function syncCount(reader: TestReader): Promise<number> {
  const h = findHistogram(await reader.collectMetrics(), INSTRUMENTS.sync);
  return (h?.dataPoints ?? []).reduce((n, p) => n + p.value.count, 0);
}

afterEach(() => {
  metrics.disable();
  trace.disable();
  context.disable();
  propagation.disable();
  logs.disable();
  diag.disable();
});

describe('late binding to the global provider', () => {
  it('records into a provider registered after creation, and says once before that where recordings go', async () => {
    const messages = captureDiag(DiagLogLevel.INFO);
    const m = client();
    m.recordSync(1);
    m.recordSync(1);
    const noop = messages.filter((x) => x.includes('no-op provider'));
    expect(noop).toHaveLength(1);
    const { provider, reader } = testProvider();
    metrics.setGlobalMeterProvider(provider);
    m.recordSync(2);
    expect(await syncCount(reader)).toBe(1);
    expect(messages.filter((x) => x.includes('no-op provider'))).toHaveLength(1);
    expect(m.meterProvider).toBe(provider);
  });

  it('follows the global provider when it is replaced', async () => {
    const first = testProvider();
    const second = testProvider();
    metrics.setGlobalMeterProvider(first.provider);
    const m = client();
    m.recordSync(1);
    metrics.disable();
    metrics.setGlobalMeterProvider(second.provider);
    m.recordSync(1);
    m.recordSync(1);
    expect(await syncCount(first.reader)).toBe(1);
    expect(await syncCount(second.reader)).toBe(2);
  });

  it('stays with a provider given at creation whatever the global one is', async () => {
    const own = testProvider();
    const global = testProvider();
    const m = client({ meterProvider: own.provider });
    metrics.setGlobalMeterProvider(global.provider);
    m.recordSync(1);
    expect(await syncCount(own.reader)).toBe(1);
    expect(await syncCount(global.reader)).toBe(0);
  });
});

describe('the OpenTelemetry Instrumentation shape', () => {
  it('type-checks as an Instrumentation and reports itself enabled', () => {
    const m = client();
    const instrumentation: Instrumentation = m;
    expect(instrumentation.instrumentationName).toBe('netbird-otel-metrics');
    expect(instrumentation.getConfig()).toEqual({ enabled: true });
    instrumentation.setConfig({ enabled: true, extra: 1 } as never);
    expect(instrumentation.getConfig()).toEqual({ enabled: true, extra: 1 });
  });

  it('registerInstrumentations hands over its provider, which wins over the global one', async () => {
    const host = testProvider();
    const global = testProvider();
    metrics.setGlobalMeterProvider(global.provider);
    const m = client();
    registerInstrumentations({ instrumentations: [m], meterProvider: host.provider });
    m.recordSync(1);
    expect(await syncCount(host.reader)).toBe(1);
    expect(await syncCount(global.reader)).toBe(0);
  });

  it('a no-op provider handed over does not hide the global one registered later', async () => {
    const m = client();
    registerInstrumentations({ instrumentations: [m] }); // the API's no-op provider
    const { provider, reader } = testProvider();
    metrics.setGlobalMeterProvider(provider);
    m.recordSync(1);
    expect(await syncCount(reader)).toBe(1);
  });

  it('disable() keeps recordings out of OTel but in the timestamped store; enable() resumes', async () => {
    const { provider, reader } = testProvider();
    const m = client({ meterProvider: provider });
    m.disable();
    expect(m.getConfig().enabled).toBe(false);
    m.recordSync(1);
    expect(await syncCount(reader)).toBe(0);
    expect(m.store.size).toBe(1);
    m.enable();
    m.recordSync(1);
    expect(await syncCount(reader)).toBe(1);
  });
});

describe('inside NodeSDK (in-memory reader, no network)', () => {
  function sdk(reader: TestReader, instrumentations: Instrumentation[] = []) {
    return new NodeSDK({
      resource: resourceFromAttributes({ 'service.name': 'host-app' }),
      autoDetectResources: false,
      metricReaders: [reader],
      spanProcessors: [],
      logRecordProcessors: [],
      instrumentations,
    });
  }

  async function collected(reader: TestReader) {
    const rm = await reader.collectMetrics();
    const h = findHistogram(rm, INSTRUMENTS.sync);
    return {
      service: rm.resource.attributes['service.name'],
      count: (h?.dataPoints ?? []).reduce((n, p) => n + p.value.count, 0),
    };
  }

  it('created before sdk.start(): records after start arrive with the app’s resource', async () => {
    const m = client();
    const reader = new TestReader();
    const s = sdk(reader);
    s.start();
    try {
      m.recordSync(1);
      expect(await collected(reader)).toEqual({ service: 'host-app', count: 1 });
    } finally {
      await s.shutdown();
    }
  });

  it('created after sdk.start()', async () => {
    const reader = new TestReader();
    const s = sdk(reader);
    s.start();
    try {
      const m = client();
      m.recordSync(1);
      expect(await collected(reader)).toEqual({ service: 'host-app', count: 1 });
    } finally {
      await s.shutdown();
    }
  });

  it('given in instrumentations', async () => {
    const m = client();
    const reader = new TestReader();
    const s = sdk(reader, [m]);
    s.start();
    try {
      m.recordSync(1);
      expect(await collected(reader)).toEqual({ service: 'host-app', count: 1 });
      expect(m.getConfig().enabled).toBe(true);
    } finally {
      await s.shutdown();
    }
  });
});

describe('self-metrics', () => {
  const selfNames = Object.values(SELF_INSTRUMENTS) as string[];
  const registered = async (reader: TestReader) =>
    (await reader.collectMetrics()).scopeMetrics
      .flatMap((s) => s.metrics.map((x) => x.descriptor.name))
      .filter((n) => selfNames.includes(n));

  it('are not registered while the push is not in use', async () => {
    const { provider, reader } = testProvider();
    const m = client({ meterProvider: provider });
    m.recordSync(1);
    m.stats();
    expect(await registered(reader)).toEqual([]);
  });

  const rejected = async (reader: TestReader) =>
    (await reader.collectMetrics()).scopeMetrics
      .flatMap((s) => s.metrics)
      .find((x) => x.descriptor.name === SELF_INSTRUMENTS.samplesRejected)?.dataPoints[0]?.value;

  it('are registered when asked for, and follow the recordings to a new provider', async () => {
    const first = testProvider();
    metrics.setGlobalMeterProvider(first.provider);
    const m = client({ selfMetrics: true });
    m.recordSync(-1); // refused by the schema: counted
    expect((await registered(first.reader)).sort()).toEqual([...selfNames].sort());
    expect(await rejected(first.reader)).toBe(1);
    const second = testProvider();
    metrics.disable();
    metrics.setGlobalMeterProvider(second.provider);
    m.recordSync(1);
    m.recordSync(-1);
    expect(await rejected(second.reader)).toBe(2);
    // The first provider no longer observes them: it keeps the last value it collected.
    expect(await rejected(first.reader)).toBe(1);
  });

  it('are registered once the push starts', async () => {
    const { provider, reader } = testProvider();
    const fake = fakeTransport(() => status(204));
    // `transport` replaces the push's HTTP client (no network in unit tests).
    const options = {
      version: '0.40.1',
      publicKey: KEY,
      env: {},
      meterProvider: provider,
      transport: fake.transport,
    };
    const m = createClientMetrics(options);
    m.recordSync(1);
    expect(await registered(reader)).toEqual([]);
    expect(m.startPush({ forceSending: true, serverUrl: 'http://127.0.0.1:9/' })).toBe(true);
    expect((await registered(reader)).sort()).toEqual([...selfNames].sort());
    await m.shutdown();
  });

  it('selfMetrics: false never registers them', async () => {
    const { provider, reader } = testProvider();
    const m = client({ meterProvider: provider, selfMetrics: false });
    m.recordSync(1);
    expect(await registered(reader)).toEqual([]);
  });
});

describe('the resource of a provider this package builds', () => {
  async function resourceOf(env: Record<string, string>, arch: string) {
    const reader = new TestReader();
    const m = client({ arch, env, metricReaders: [reader] });
    m.recordSync(1);
    const { attributes } = (await reader.collectMetrics()).resource;
    await m.shutdown();
    return attributes;
  }

  it('names NetBird, its version, the OS and the architecture in semantic-convention values', async () => {
    const attributes = await resourceOf({}, 'arm');
    expect(attributes).toMatchObject({
      'service.name': 'netbird',
      'service.version': '0.40.1',
      'os.type': 'linux',
      'host.arch': 'arm32',
      'telemetry.sdk.language': 'nodejs',
    });
  });

  it('OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over those defaults', async () => {
    const attributes = await resourceOf(
      {
        OTEL_RESOURCE_ATTRIBUTES: 'service.version=9.9.9,deployment.environment.name=lab',
        OTEL_SERVICE_NAME: 'edge-client',
      },
      'amd64',
    );
    expect(attributes).toMatchObject({
      'service.name': 'edge-client',
      'service.version': '9.9.9',
      'deployment.environment.name': 'lab',
      'os.type': 'linux',
      'host.arch': 'amd64',
    });
  });
});

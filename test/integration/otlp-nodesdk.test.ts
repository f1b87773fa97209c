// NetBird metrics inside an application's own OpenTelemetry setup, exported over OTLP
// http/protobuf into a real VictoriaMetrics and read back exactly: created before or after
// NodeSDK.start(), handed to NodeSDK as an instrumentation, or given the app's MeterProvider.
// Every case must arrive under the application's resource (its service.name), not ours.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  type ClientMetrics,
  ConnectionStages,
  createClientMetrics,
  DURATION_BUCKETS_SECONDS,
} from '../../src/index.js';
import { uniqueName, vmForceFlush, vmQuery, waitFor } from '../helpers/backend-clients.js';

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';
const vm = inject('victoriaUrl');

afterEach(() => {
  // NodeSDK registers these globals; each test starts from none.
  metrics.disable();
  trace.disable();
  context.disable();
  propagation.disable();
  logs.disable();
});

function appResource(service: string) {
  return resourceFromAttributes({
    'service.name': service,
    'deployment.environment.name': 'nodesdk-test',
  });
}

/** Only the final export at shutdown sends, so one export holds everything. */
function appReader() {
  return new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${vm}/opentelemetry/v1/metrics` }),
    exportIntervalMillis: 600_000,
  });
}

function nodeSdk(service: string, instrumentations: ClientMetrics[] = []) {
  return new NodeSDK({
    resource: appResource(service),
    autoDetectResources: false,
    metricReaders: [appReader()],
    spanProcessors: [],
    logRecordProcessors: [],
    instrumentations,
  });
}

function netbird(options: { meterProvider?: MeterProvider } = {}): ClientMetrics {
  return createClientMetrics({
    version: '0.61.0',
    managementUrl: 'https://api.netbird.io:443',
    publicKey: KEY,
    os: 'linux',
    arch: 'arm64',
    env: {},
    exporters: ['none'],
    ...options,
  });
}

/** Stages of exactly 0.5 s and 0.25 s (binary fractions: they read back exactly). */
function record(m: ClientMetrics): void {
  const now = Date.now();
  const stages = new ConnectionStages();
  stages.signalingReceived(now - 750);
  stages.connectionReady(now - 250);
  stages.wgHandshake(now);
  expect(m.recordConnection(stages, 'relay', REMOTE)).toBe(true);
  expect(m.recordSync(0.125)).toBe(true);
}

async function query(promql: string) {
  await vmForceFlush(vm);
  return vmQuery(vm, promql);
}

/** Reads the service's NetBird series back and checks every value exactly. */
async function expectArrived(service: string, m: ClientMetrics): Promise<void> {
  const svc = `service_name="${service}"`;
  const buckets = await waitFor(
    () => query(`netbird_peer_connection_duration_seconds_bucket{${svc}}`),
    {
      timeoutMs: 15_000,
      until: (r) => r.length === DURATION_BUCKETS_SECONDS.length + 1,
      what: `connection buckets of ${service}`,
    },
  );
  for (const b of buckets) {
    const le = b.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.metric.le);
    expect(b.value, `le=${b.metric.le}`).toBe(le >= 0.75 ? 1 : 0);
  }
  expect(buckets[0]?.metric).toMatchObject({
    service_name: service,
    deployment_environment_name: 'nodesdk-test',
    connection_type: 'relay',
    attempt_type: 'initial',
    deployment_type: 'cloud',
    version: '0.61.0',
    os: 'linux',
    arch: 'arm64',
    peer_id: m.agentInfo.peerId,
  });
  // The application's resource, not one of ours.
  expect(buckets[0]?.metric).not.toHaveProperty('service_version');
  expect(buckets[0]?.metric).not.toHaveProperty('stage');

  const one = async (promql: string) => {
    const rows = await query(promql);
    expect(rows, promql).toHaveLength(1);
    return rows[0]?.value;
  };
  expect(await one(`netbird_peer_connection_duration_seconds_count{${svc}}`)).toBe(1);
  expect(await one(`netbird_peer_connection_duration_seconds_sum{${svc}}`)).toBe(0.75);
  const stage = (name: string, suffix: string) =>
    one(`netbird_peer_connection_stage_duration_seconds_${suffix}{${svc},stage="${name}"}`);
  expect(await stage('signaling_to_connection', 'sum')).toBe(0.5);
  expect(await stage('signaling_to_connection', 'count')).toBe(1);
  expect(await stage('connection_to_wg_handshake', 'sum')).toBe(0.25);
  expect(await stage('connection_to_wg_handshake', 'count')).toBe(1);
  expect(await one(`netbird_sync_duration_seconds_sum{${svc}}`)).toBe(0.125);
  expect(await one(`netbird_sync_duration_seconds_count{${svc}}`)).toBe(1);
  // No push runs, so no self-metrics are exported into the application's pipeline.
  expect(await query(`{__name__=~"netbird_metrics_.*", ${svc}}`)).toEqual([]);
}

describe('NetBird metrics in an application’s OTel SDK → VictoriaMetrics', () => {
  it('created before NodeSDK.start()', async () => {
    const service = uniqueName('before_start');
    const m = netbird();
    const sdk = nodeSdk(service);
    sdk.start();
    record(m);
    await m.shutdown();
    await sdk.shutdown();
    await expectArrived(service, m);
  });

  it('created after NodeSDK.start()', async () => {
    const service = uniqueName('after_start');
    const sdk = nodeSdk(service);
    sdk.start();
    const m = netbird();
    record(m);
    await m.shutdown();
    await sdk.shutdown();
    await expectArrived(service, m);
  });

  it('handed to NodeSDK in instrumentations', async () => {
    const service = uniqueName('instrumentation');
    const m = netbird();
    const sdk = nodeSdk(service, [m]);
    sdk.start();
    record(m);
    await m.shutdown();
    await sdk.shutdown();
    await expectArrived(service, m);
  });

  it('given the application’s own MeterProvider', async () => {
    const service = uniqueName('own_provider');
    const provider = new MeterProvider({ resource: appResource(service), readers: [appReader()] });
    const m = netbird({ meterProvider: provider });
    record(m);
    await m.shutdown();
    await provider.shutdown();
    await expectArrived(service, m);
  });

  it('with the application’s MeterProvider registered globally after creation', async () => {
    const service = uniqueName('global_later');
    const m = netbird();
    const provider = new MeterProvider({ resource: appResource(service), readers: [appReader()] });
    metrics.setGlobalMeterProvider(provider);
    record(m);
    await m.shutdown();
    await provider.shutdown();
    await expectArrived(service, m);
  });
});

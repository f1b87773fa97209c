import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClientMetrics,
  ConnectionStages,
  createClientMetrics,
  DURATION_BUCKETS_SECONDS,
} from '../../src/index.js';
import { PACKAGE_VERSION } from '../../src/instrumentation/package-version.js';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';

/**
 * OTLP http/json, configured by environment only, against a local receiver that decodes the
 * body (VictoriaMetrics takes protobuf only; see otlp-victoria.test.ts for that path).
 */

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';

interface JsonAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}
interface JsonDataPoint {
  attributes: JsonAttribute[];
  count?: string | number;
  sum?: number;
  min?: number;
  max?: number;
  explicitBounds?: number[];
  bucketCounts?: Array<string | number>;
  asDouble?: number;
  asInt?: string | number;
}
interface JsonMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints: JsonDataPoint[]; aggregationTemporality: number };
  sum?: { dataPoints: JsonDataPoint[]; aggregationTemporality: number; isMonotonic: boolean };
}
interface JsonBody {
  resourceMetrics: Array<{
    resource: { attributes: JsonAttribute[] };
    scopeMetrics: Array<{ scope: { name: string }; metrics: JsonMetric[] }>;
  }>;
}

const attrs = (list: JsonAttribute[]) =>
  Object.fromEntries(
    list.map((a) => [
      a.key,
      a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue ?? a.value.boolValue,
    ]),
  );

let server: RecordingServer | undefined;
let metrics: ClientMetrics | undefined;
afterEach(async () => {
  await metrics?.shutdown();
  metrics = undefined;
  await server?.close();
  server = undefined;
});

async function recordAndFlush(
  env: Record<string, string>,
  options: { selfMetrics?: boolean } = {},
) {
  server = await startRecordingServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  metrics = createClientMetrics({
    version: '0.60.2',
    managementUrl: 'https://netbird.example.com',
    publicKey: KEY,
    os: 'linux',
    arch: 'arm64',
    env: { NB_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: server.url, ...env },
    ...options,
  });
  const now = Date.now();
  const stages = new ConnectionStages();
  stages.signalingReceived(now - 1500);
  stages.connectionReady(now - 500);
  stages.wgHandshake(now - 250);
  metrics.recordConnection(stages, 'relay', REMOTE);
  metrics.recordLogin(0.75, true);
  await metrics.forceFlush();
  const [request] = await server.waitForRequests(1);
  if (request === undefined) throw new Error('no request');
  return { request, body: JSON.parse(request.text) as JsonBody, m: metrics };
}

function metricNames(body: JsonBody): string[] {
  return body.resourceMetrics.flatMap((rm) =>
    rm.scopeMetrics.flatMap((sm) => sm.metrics.map((x) => x.name)),
  );
}

function metric(body: JsonBody, name: string): JsonMetric {
  for (const rm of body.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      const found = sm.metrics.find((x) => x.name === name);
      if (found) return found;
    }
  }
  throw new Error(`no metric ${name} in ${JSON.stringify(body).slice(0, 500)}`);
}

describe('OTLP http/json from the environment', () => {
  it('sends the NetBird histograms with our attributes, buckets, resource and headers', async () => {
    const { request, body, m } = await recordAndFlush({
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def,x-tenant=t1',
      OTEL_SERVICE_NAME: 'netbird-ci',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci,service.name=ignored',
    });
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1/metrics');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-api-key']).toBe('abc def');
    expect(request.headers['x-tenant']).toBe('t1');

    const resource = attrs(body.resourceMetrics[0]?.resource.attributes ?? []);
    expect(resource).toMatchObject({
      'service.name': 'netbird-ci',
      'service.version': '0.60.2',
      'os.type': 'linux',
      'host.arch': 'arm64',
      'deployment.environment': 'ci',
    });
    expect(body.resourceMetrics[0]?.scopeMetrics[0]?.scope).toMatchObject({
      name: 'netbird-otel-metrics',
      version: PACKAGE_VERSION,
    });

    const connection = metric(body, 'netbird.peer.connection.duration');
    expect(connection.unit).toBe('s');
    const totals = connection.histogram?.dataPoints ?? [];
    expect(totals).toHaveLength(1);
    const total = totals[0] as JsonDataPoint;
    const stages = metric(body, 'netbird.peer.connection.stage.duration');
    expect(stages.unit).toBe('s');
    const points = stages.histogram?.dataPoints ?? [];
    const byStage = Object.fromEntries(points.map((p) => [attrs(p.attributes).stage, p]));
    expect(Object.keys(byStage).sort()).toEqual([
      'connection_to_wg_handshake',
      'signaling_to_connection',
    ]);
    expect(attrs(total.attributes)).toEqual({
      deployment_type: 'selfhosted',
      connection_type: 'relay',
      attempt_type: 'initial',
      version: '0.60.2',
      os: 'linux',
      arch: 'arm64',
      peer_id: m.agentInfo.peerId,
    });
    expect(Number(total.count)).toBe(1);
    expect(total.sum).toBeCloseTo(1.25, 9);
    expect(total.explicitBounds).toEqual(DURATION_BUCKETS_SECONDS);
    expect(byStage.signaling_to_connection?.sum).toBeCloseTo(1, 9);
    expect(byStage.connection_to_wg_handshake?.sum).toBeCloseTo(0.25, 9);
    expect(attrs(byStage.signaling_to_connection?.attributes ?? [])).toEqual({
      ...attrs(total.attributes),
      stage: 'signaling_to_connection',
    });
    expect(stages.histogram?.dataPoints[0]?.explicitBounds).toEqual(DURATION_BUCKETS_SECONDS);

    const login = metric(body, 'netbird.login.duration');
    expect(attrs(login.histogram?.dataPoints[0]?.attributes ?? [])).toMatchObject({
      result: 'success',
    });
    // Cumulative unless asked otherwise; the wire enum says CUMULATIVE = 2.
    expect(connection.histogram?.aggregationTemporality).toBe(2);
  });

  it('honours temporality preference and compression from the environment', async () => {
    const { request, body } = await recordAndFlush({
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(metric(body, 'netbird.peer.connection.duration').histogram?.aggregationTemporality).toBe(
      1,
    );
  });

  it('exports no self-metrics while the push is not in use', async () => {
    const { body } = await recordAndFlush({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' });
    expect(metricNames(body)).toContain('netbird.login.duration');
    expect(metricNames(body).filter((n) => n.startsWith('netbird.metrics.'))).toEqual([]);
  });

  it('exports the self-metrics on the same provider when asked for', async () => {
    const { body } = await recordAndFlush(
      { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' },
      { selfMetrics: true },
    );
    const sent = metric(body, 'netbird.metrics.push.samples_sent');
    expect(sent.sum?.isMonotonic).toBe(true);
    const dropped = metric(body, 'netbird.metrics.samples.dropped');
    const reasons = (dropped.sum?.dataPoints ?? []).map((p) => attrs(p.attributes).reason).sort();
    expect(reasons).toEqual(['age', 'server_rejected', 'size']);
  });

  it('uses the metrics-specific endpoint as given', async () => {
    server = await startRecordingServer();
    metrics = createClientMetrics({
      version: '1.0.0',
      env: {
        NB_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${server.url}/custom/path`,
      },
    });
    metrics.recordSync(0.5);
    await metrics.forceFlush();
    const [request] = await server.waitForRequests(1);
    expect(request?.url).toBe('/custom/path');
  });
});

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { SumMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import {
  type ClientMetrics,
  type ClientMetricsOptions,
  createClientMetrics,
  peerId,
} from '../../src/index.js';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';
import { testProvider } from '../helpers/test-reader.js';

/** The push as ClientMetrics exposes it: on/off rules, peer id, flush, shutdown, counters. */

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const KEY2 = 'c2Vjb25kLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2NA==';

let server: RecordingServer | undefined;
let metrics: ClientMetrics | undefined;
const logged: { level: string; message: string }[] = [];

beforeEach(() => {
  const log = (level: string) => (message: string) => logged.push({ level, message });
  diag.setLogger(
    { error: log('error'), warn: log('warn'), info() {}, debug() {}, verbose() {} },
    DiagLogLevel.WARN,
  );
});

afterEach(async () => {
  await metrics?.shutdown();
  metrics = undefined;
  await server?.close();
  server = undefined;
  diag.disable();
  logged.length = 0;
});

const pushes = () => server?.requests.filter((r) => r.url === '/push') ?? [];
const configFetches = () => server?.requests.filter((r) => r.url === '/config') ?? [];

/** A server that serves a config (in range for 1.x) at /config and accepts pushes at /push. */
async function setup(
  env: Record<string, string> = {},
  options: Partial<ClientMetricsOptions> = {},
): Promise<{ m: ClientMetrics; env: Record<string, string> }> {
  server = await startRecordingServer((req, res) => {
    if (req.url === '/config') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          server_url: `${server?.url}/push`,
          'version-since': '1.0.0',
          'version-until': '2.0.0',
          period_minutes: 60,
        }),
      );
    } else res.writeHead(204).end();
  });
  const fullEnv = {
    NB_METRICS_CONFIG_URL: `${server.url}/config`,
    NB_METRICS_INTERVAL: '50ms',
    ...env,
  };
  metrics = createClientMetrics({
    version: '1.4.0',
    managementUrl: 'https://api.netbird.io',
    publicKey: KEY,
    os: 'linux',
    arch: 'amd64',
    env: fullEnv,
    ...options,
  });
  return { m: metrics, env: fullEnv };
}

describe('ClientMetrics push: start, stop, restart', () => {
  it('starts at creation with NB_METRICS_PUSH_ENABLED and pushes what is recorded', async () => {
    const { m } = await setup({ NB_METRICS_PUSH_ENABLED: 'true' });
    expect(m.stats().push.running).toBe(true);
    m.recordSync(1.5);
    m.recordLogin(2.5, true);
    const expected = m.exportLineProtocol();
    await expect.poll(() => pushes().length, { timeout: 3000 }).toBe(1);
    const [req] = pushes();
    expect(req?.text).toBe(expected);
    expect(req?.headers['x-peer-id']).toBe(peerId(KEY));
    await expect.poll(() => m.stats().stored).toBe(0);
    expect(m.stats().push).toMatchObject({
      requests: 1,
      samplesSent: 2,
      failures: 0,
      running: true,
    });
    expect(m.stats().push.lastTarget).toEqual({ url: `${server?.url}/push`, intervalMs: 50 });
  });

  it('does not push by default', async () => {
    const { m } = await setup();
    m.recordSync(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(server?.requests).toHaveLength(0);
    expect(m.stats().push.running).toBe(false);
  });

  it('startPush when running is a no-op with a warning; stopPush waits; a restart works', async () => {
    const { m } = await setup();
    expect(m.startPush()).toBe(true);
    expect(m.startPush()).toBe(false);
    expect(logged.some((l) => l.level === 'warn' && l.message.includes('already running'))).toBe(
      true,
    );
    await expect.poll(() => configFetches().length).toBe(1);
    await m.stopPush();
    expect(m.stats().push.running).toBe(false);
    m.recordSync(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(pushes()).toHaveLength(0);
    expect(m.startPush()).toBe(true);
    await expect.poll(() => pushes().length).toBe(1);
    // A restart starts with a fresh remote-config cache, as NetBird's Go client does.
    expect(configFetches()).toHaveLength(2);
  });

  it('startPush options win over the environment', async () => {
    const { m } = await setup({ NB_METRICS_INTERVAL: '1h' });
    m.recordSync(1);
    expect(m.startPush({ forceSending: true, serverUrl: `${server?.url}/push` })).toBe(true);
    await expect.poll(() => pushes().length).toBe(1);
    expect(configFetches()).toHaveLength(0);
    expect(m.stats().push.lastTarget).toEqual({
      url: `${server?.url}/push`,
      intervalMs: 3_600_000,
    });
  });

  it('refuses to start for a development build unless force-sending', async () => {
    const { m } = await setup({}, { version: 'development' });
    expect(m.startPush()).toBe(false);
    expect(logged.some((l) => l.level === 'error' && l.message.includes('"development"'))).toBe(
      true,
    );
    m.recordSync(1);
    expect(m.startPush({ forceSending: true, serverUrl: `${server?.url}/push` })).toBe(true);
    await expect.poll(() => pushes().length).toBe(1);
  });

  it('refuses to start when the influx exporter is not selected', async () => {
    const { m } = await setup({ NB_METRICS_EXPORTER: 'none' });
    expect(m.startPush()).toBe(false);
  });

  it('reads the environment again at startPush and, in strict mode, throws on a value that became invalid', async () => {
    const { m, env } = await setup({}, { strictConfig: true });
    env.NB_METRICS_SERVER_URL = 'ingest.example.com';
    expect(() => m.startPush()).toThrow(ConfigError);
    expect(() => m.startPush()).toThrow(/NB_METRICS_SERVER_URL/);
    expect(m.stats().push.running).toBe(false);
  });
});

describe('ClientMetrics push: management toggle', () => {
  it('starts and stops push when no explicit setting exists', async () => {
    const { m } = await setup();
    m.setPushEnabledByManagement(true);
    expect(m.stats().push.running).toBe(true);
    m.setPushEnabledByManagement(true); // enabled and running: nothing to do
    expect(logged.filter((l) => l.message.includes('already running'))).toHaveLength(0);
    m.setPushEnabledByManagement(false);
    await expect.poll(() => m.stats().push.running).toBe(false);
  });

  it.each(['false', '0', 'true', ''])(
    'is ignored when NB_METRICS_PUSH_ENABLED is present (%j), even empty',
    async (value) => {
      const { m } = await setup({ NB_METRICS_PUSH_ENABLED: value });
      const running = m.stats().push.running;
      expect(running).toBe(value === 'true');
      m.setPushEnabledByManagement(!running);
      await new Promise((r) => setTimeout(r, 20));
      expect(m.stats().push.running).toBe(running);
    },
  );

  it('is ignored when the push.enabled option is set', async () => {
    const { m } = await setup({}, { push: { enabled: false } });
    m.setPushEnabledByManagement(true);
    expect(m.stats().push.running).toBe(false);
  });

  it('notices a variable that appeared after creation', async () => {
    const { m, env } = await setup();
    env.NB_METRICS_PUSH_ENABLED = 'false';
    m.setPushEnabledByManagement(true);
    expect(m.stats().push.running).toBe(false);
  });
});

describe('ClientMetrics push: peer id, flush, shutdown, counters', () => {
  it('waits for the peer id, then follows updateAgentInfo in X-Peer-ID', async () => {
    const { m } = await setup({ NB_METRICS_PUSH_ENABLED: '1' }, { publicKey: undefined });
    m.recordSync(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(pushes()).toHaveLength(0);
    expect(m.stats().stored).toBe(1);
    m.updateAgentInfo({ publicKey: KEY });
    await expect.poll(() => pushes().length).toBe(1);
    expect(pushes()[0]?.headers['x-peer-id']).toBe(peerId(KEY));
    m.updateAgentInfo({ publicKey: KEY2 });
    m.recordSync(2);
    await expect.poll(() => pushes().length).toBe(2);
    expect(pushes()[1]?.headers['x-peer-id']).toBe(peerId(KEY2));
  });

  it('forceFlush pushes now, without waiting for the interval', async () => {
    const { m } = await setup({ NB_METRICS_PUSH_ENABLED: 'true', NB_METRICS_INTERVAL: '1h' });
    await expect.poll(() => configFetches().length).toBe(1);
    m.recordSync(1);
    await m.forceFlush();
    expect(pushes()).toHaveLength(1);
    expect(m.stats().stored).toBe(0);
  });

  it('shutdown makes a final push, stops the loop, and is idempotent', async () => {
    const { m } = await setup({ NB_METRICS_PUSH_ENABLED: 'true', NB_METRICS_INTERVAL: '1h' });
    await expect.poll(() => configFetches().length).toBe(1);
    m.recordSync(1);
    const first = m.shutdown();
    expect(m.shutdown()).toBe(first);
    await first;
    expect(pushes()).toHaveLength(1);
    expect(m.stats().push.running).toBe(false);
    expect(m.startPush()).toBe(false);
  });

  it('shutdown gives up on the final push at its deadline, keeps the samples and says so', async () => {
    const { m } = await setup(
      { NB_METRICS_PUSH_ENABLED: 'true', NB_METRICS_INTERVAL: '1h' },
      { push: { shutdownTimeoutMs: 200 } },
    );
    await expect.poll(() => configFetches().length).toBe(1);
    server?.handle(() => {}); // never answers from now on
    m.recordSync(1);
    await m.shutdown();
    expect(pushes()).toHaveLength(1);
    expect(m.stats().stored).toBe(1);
    expect(m.stats().push.running).toBe(false);
    expect(m.stats().delivery).toEqual({
      incomplete: 1,
      samplesUndelivered: 1,
      lastError: 'push: deadline of 200 ms passed',
    });
    expect(
      logged.filter((l) => l.level === 'warn' && l.message.includes('did not deliver everything')),
    ).toHaveLength(1);
  });

  it('counts the push and the store in stats() and as OTel observable counters', async () => {
    const { provider, reader } = testProvider();
    const { m } = await setup(
      { NB_METRICS_PUSH_ENABLED: 'true', NB_METRICS_INTERVAL: '1h' },
      { meterProvider: provider, store: { maxSamples: 2 } },
    );
    await expect.poll(() => configFetches().length).toBe(1);
    m.recordSync(1);
    m.recordSync(2);
    m.recordSync(3); // over the bound: the oldest is dropped
    m.recordSync(-1); // refused by the schema
    await m.forceFlush();
    expect(m.stats()).toMatchObject({
      droppedBySize: 1,
      rejectedBySchema: 1,
      push: { requests: 1, samplesSent: 2, retries: 0, failures: 0, samplesDroppedByServer: 0 },
    });
    const rm = await reader.collectMetrics();
    const value = (name: string, reason?: string) => {
      for (const s of rm.scopeMetrics) {
        const metric = s.metrics.find((x) => x.descriptor.name === name) as
          | SumMetricData
          | undefined;
        const p = metric?.dataPoints.find(
          (d) => reason === undefined || d.attributes.reason === reason,
        );
        if (p) return p.value;
      }
      return undefined;
    };
    expect(value('netbird.metrics.push.requests')).toBe(1);
    expect(value('netbird.metrics.push.samples_sent')).toBe(2);
    expect(value('netbird.metrics.push.retries')).toBe(0);
    expect(value('netbird.metrics.push.failures')).toBe(0);
    expect(value('netbird.metrics.samples.dropped', 'size')).toBe(1);
    expect(value('netbird.metrics.samples.dropped', 'age')).toBe(0);
    expect(value('netbird.metrics.samples.dropped', 'server_rejected')).toBe(0);
    expect(value('netbird.metrics.samples.rejected')).toBe(1);
  });

  it('counts a batch the server refused', async () => {
    const { m } = await setup({ NB_METRICS_PUSH_ENABLED: 'true', NB_METRICS_INTERVAL: '1h' });
    await expect.poll(() => configFetches().length).toBe(1);
    server?.handle((_req, res) => void res.writeHead(400).end('line 1: invalid field value'));
    m.recordSync(1);
    await m.forceFlush();
    expect(m.stats().push).toMatchObject({
      samplesDroppedByServer: 1,
      failures: 1,
      lastStatus: 400,
      lastError: 'HTTP 400: line 1: invalid field value',
    });
    expect(m.stats().stored).toBe(0);
  });
});

describe('ClientMetrics: flush and shutdown against backends that are down', () => {
  /** A loopback port nothing listens on: connections are refused at once. */
  async function closedPort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  it.each([
    ['the OTLP port is closed and the push server never answers', 'otlp-closed'],
    ['the OTLP server never answers and the push port is closed', 'push-closed'],
  ])('forceFlush and shutdown resolve when %s, and report it', async (_name, layout) => {
    server = await startRecordingServer(() => {}); // accepts, reads, never answers
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const otlp = layout === 'otlp-closed' ? closed : server.url;
    const push = layout === 'otlp-closed' ? `${server.url}/push` : `${closed}/push`;
    metrics = createClientMetrics({
      version: '1.4.0',
      managementUrl: 'https://api.netbird.io',
      publicKey: KEY,
      env: {
        NB_METRICS_EXPORTER: 'influx,otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        NB_METRICS_PUSH_ENABLED: 'true',
        NB_METRICS_FORCE_SENDING: 'true',
        NB_METRICS_SERVER_URL: push,
        NB_METRICS_INTERVAL: '1h',
      },
      push: { shutdownTimeoutMs: 1000 },
    });
    const m = metrics;
    m.recordSync(1.5);
    await expect(m.forceFlush()).resolves.toBeUndefined();
    expect(m.stats().delivery).toMatchObject({ incomplete: 1, samplesUndelivered: 1 });
    await expect(m.shutdown()).resolves.toBeUndefined();
    const delivery = m.stats().delivery;
    expect(delivery).toMatchObject({ incomplete: 2, samplesUndelivered: 1 });
    expect(delivery.lastError).toMatch(/^push: .+; OTel pipeline: .+/);
    if (layout === 'push-closed') expect(delivery.lastError).toContain('ECONNREFUSED');
    expect(m.stats().stored).toBe(1);
    expect(m.stats().push.running).toBe(false);
    const warnings = logged.filter(
      (l) => l.level === 'warn' && l.message.includes('did not deliver everything'),
    );
    expect(warnings.map((w) => w.message.split(' did not')[0])).toEqual([
      'netbird-otel-metrics: forceFlush',
      'netbird-otel-metrics: shutdown',
    ]);
  });
});

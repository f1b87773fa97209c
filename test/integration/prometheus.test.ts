import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { unwrap } from '../../src/config/config-error.js';
import { resolveConfig } from '../../src/exporters/export-config.js';
import { buildPipeline, type Pipeline } from '../../src/exporters/otel/pipeline.js';
import { ConnectionStages, createClientMetrics } from '../../src/index.js';
import { PACKAGE_VERSION } from '../../src/instrumentation/package-version.js';
import { promQuery, waitFor } from '../helpers/backend-clients.js';
import { freePort } from '../setup/backends.js';

/** The Prometheus pull endpoint, chosen by `NB_METRICS_EXPORTER=prometheus`. */

const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';

/** The pipeline for `prometheus` on `port`, once it listens; undefined if the port is taken. */
async function endpointOn(port: number): Promise<Pipeline | undefined> {
  const config = unwrap(
    resolveConfig({
      NB_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    }),
  );
  const pipeline = buildPipeline(config);
  if (pipeline === undefined) throw new Error('no pipeline for prometheus');
  try {
    await pipeline.ready;
    return pipeline;
  } catch {
    await pipeline.meterProvider.shutdown();
    return undefined;
  }
}

function record(pipeline: Pipeline) {
  const key = randomBytes(32).toString('base64');
  const m = createClientMetrics({
    version: '0.61.0',
    managementUrl: 'https://netbird.example.com',
    publicKey: key,
    os: 'linux',
    arch: 'amd64',
    meterProvider: pipeline.meterProvider,
    env: {},
    selfMetrics: true,
  });
  const now = Date.now();
  const stages = new ConnectionStages();
  stages.signalingReceived(now - 1200);
  stages.connectionReady(now - 700);
  stages.wgHandshake(now - 200);
  m.recordConnection(stages, 'ice_p2p', REMOTE);
  return m;
}

describe('Prometheus endpoint', () => {
  it('serves the NetBird histograms under the same names as every other backend', async () => {
    const port = await freePort();
    const pipeline = await endpointOn(port);
    if (pipeline === undefined) throw new Error(`port ${port} taken`);
    try {
      const m = record(pipeline);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await res.text();
      const peer = m.agentInfo.peerId;
      expect(text).toContain('# TYPE netbird_peer_connection_duration_seconds histogram');
      expect(text).toContain('# TYPE netbird_peer_connection_stage_duration_seconds histogram');
      const sample = (name: string, ...labels: string[]) =>
        text
          .split('\n')
          .find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)))
          ?.split(' ')
          .at(-1);
      const bucket = 'netbird_peer_connection_duration_seconds_bucket';
      expect(sample(bucket, `peer_id="${peer}"`, 'le="1"')).toBe('1');
      expect(sample(bucket, `peer_id="${peer}"`, 'le="0.5"')).toBe('0');
      expect(text).toMatch(/netbird_peer_connection_duration_seconds_count\{[^}]*\} 1/);
      // The total is not a stage: its series carry no stage label.
      expect(text).not.toMatch(/netbird_peer_connection_duration_seconds_\w+\{[^}]*stage=/);
      const stage = 'netbird_peer_connection_stage_duration_seconds_bucket';
      expect(sample(stage, 'stage="signaling_to_connection"', 'le="0.5"')).toBe('1');
      expect(sample(stage, 'stage="connection_to_wg_handshake"', 'le="0.5"')).toBe('1');
      expect(sample(stage, 'stage="connection_to_wg_handshake"', 'le="0.25"')).toBe('0');
      expect(text).toContain('# TYPE netbird_metrics_push_samples_sent_total counter');
      expect(text).toMatch(/netbird_metrics_samples_dropped_total\{[^}]*reason="size"[^}]*\} 0/);
      expect(text).not.toContain('connection_pair_id');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await pipeline.meterProvider.shutdown();
    }
    // Shut down means the port is free again.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('is scraped by a real Prometheus and answers PromQL', async () => {
    let pipeline: Pipeline | undefined;
    for (const port of inject('prometheusTargetPorts')) {
      pipeline = await endpointOn(port);
      if (pipeline) break;
    }
    if (pipeline === undefined) throw new Error('every scrape-target port is taken');
    try {
      const m = record(pipeline);
      const peer = m.agentInfo.peerId;
      const selector = `netbird_peer_connection_duration_seconds_bucket{peer_id="${peer}",le="2.5"}`;
      const [bucket] = await waitFor(() => promQuery(inject('prometheusUrl'), selector), {
        timeoutMs: 15_000,
        intervalMs: 250,
        until: (r) => r.length === 1,
        what: selector,
      });
      expect(bucket?.value).toBe(1);
      expect(bucket?.metric).toMatchObject({
        job: 'netbird',
        connection_type: 'ice_p2p',
        deployment_type: 'selfhosted',
        version: '0.61.0',
        otel_scope_name: 'netbird-otel-metrics',
        otel_scope_version: PACKAGE_VERSION,
      });
      expect(bucket?.metric).not.toHaveProperty('stage');
      const [sum] = await promQuery(
        inject('prometheusUrl'),
        `netbird_peer_connection_stage_duration_seconds_sum{peer_id="${peer}",stage="connection_to_wg_handshake"}`,
      );
      expect(sum?.value).toBeCloseTo(0.5, 9);
    } finally {
      await pipeline.meterProvider.shutdown();
    }
  });
});

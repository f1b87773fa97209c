import { describe, expect, inject, it } from 'vitest';
import {
  ConnectionStages,
  createClientMetrics,
  DURATION_BUCKETS_SECONDS,
} from '../../src/index.js';
import { uniqueName, vmForceFlush, vmQuery, waitFor } from '../helpers/backend-clients.js';

/**
 * OTLP http/protobuf (the default protocol), configured by environment only, into a real
 * VictoriaMetrics 1.112, read back with PromQL. VictoriaMetrics runs with
 * `-opentelemetry.usePrometheusNaming`, so the names are the ones our Prometheus endpoint and
 * InfluxDB exporter use, and resource attributes become labels with `_` for `.`.
 */

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';

describe('OTLP http/protobuf → VictoriaMetrics', () => {
  it('stores netbird_peer_connection_duration_seconds buckets with our attributes', async () => {
    const vm = inject('victoriaUrl');
    const service = uniqueName('nb');
    const m = createClientMetrics({
      version: '0.61.0',
      managementUrl: 'https://api.netbird.io:443',
      publicKey: KEY,
      os: 'windows',
      arch: 'amd64',
      env: {
        NB_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${vm}/opentelemetry/v1/metrics`,
        OTEL_SERVICE_NAME: service,
      },
    });
    try {
      const now = Date.now();
      const stages = new ConnectionStages();
      stages.signalingReceived(now - 3000);
      stages.connectionReady(now - 800);
      stages.wgHandshake(now - 300);
      m.recordConnection(stages, 'ice_turn', REMOTE);
      await m.forceFlush();
    } finally {
      await m.shutdown();
    }

    const selector = `netbird_peer_connection_duration_seconds_bucket{service_name="${service}"}`;
    const buckets = await waitFor(
      async () => {
        await vmForceFlush(vm);
        return vmQuery(vm, selector);
      },
      {
        timeoutMs: 10_000,
        until: (r) => r.length === DURATION_BUCKETS_SECONDS.length + 1,
        what: selector,
      },
    );
    const le = (text: string | undefined) =>
      text === '+Inf' ? Number.POSITIVE_INFINITY : Number(text);
    const byLe = new Map(buckets.map((b) => [le(b.metric.le), b.value]));
    // total = 2.7 s: cumulative buckets are 0 below 2.5 and 1 from 5 upwards
    for (const bound of DURATION_BUCKETS_SECONDS) {
      expect(byLe.get(bound), `le=${bound}`).toBe(bound >= 2.7 ? 1 : 0);
    }
    expect(byLe.get(Number.POSITIVE_INFINITY)).toBe(1);
    expect(buckets[0]?.metric).toMatchObject({
      connection_type: 'ice_turn',
      attempt_type: 'initial',
      deployment_type: 'cloud',
      version: '0.61.0',
      os: 'windows',
      arch: 'amd64',
      peer_id: m.agentInfo.peerId,
      // The resource of the provider this package built.
      service_version: '0.61.0',
      os_type: 'windows',
      host_arch: 'amd64',
    });
    expect(buckets[0]?.metric).not.toHaveProperty('connection_pair_id');
    expect(buckets[0]?.metric).not.toHaveProperty('stage');

    const [sum] = await vmQuery(
      vm,
      `netbird_peer_connection_stage_duration_seconds_sum{service_name="${service}",stage="signaling_to_connection"}`,
    );
    expect(sum?.value).toBeCloseTo(2.2, 9);
    const [count] = await vmQuery(
      vm,
      `sum(netbird_peer_connection_duration_seconds_count{service_name="${service}"})`,
    );
    expect(count?.value).toBe(1);
    const stageCounts = await vmQuery(
      vm,
      `sum by (stage) (netbird_peer_connection_stage_duration_seconds_count{service_name="${service}"})`,
    );
    expect(Object.fromEntries(stageCounts.map((r) => [r.metric.stage, r.value]))).toEqual({
      signaling_to_connection: 1,
      connection_to_wg_handshake: 1,
    });
  });
});

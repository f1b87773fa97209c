// Benchmark 2: ClientMetrics.recordConnection (schema check, timestamped store and OTel
// histograms) against the three bare OTel histogram.record calls a user would make instead, on
// the same MeterProvider and reader. Target: at most 1.3× the bare cost.
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import { seededRandom } from '../examples/demo/distributions.js';
import { ClientMetrics } from '../src/client/client-metrics.js';
import { ConnectionStages } from '../src/instrumentation/connection-stages.js';
import { DURATION_BUCKETS_SECONDS } from '../src/instrumentation/otel-recorder.js';
import type { ConnectionType } from '../src/protocol/schema.js';
import { TestReader } from '../test/helpers/test-reader.js';
import { timePair } from './lib/measure.js';
import { type BenchResult, result } from './lib/report.js';

const BATCH = 1_000;
const TYPES: readonly ConnectionType[] = ['ice_p2p', 'ice_p2p', 'ice_turn', 'relay'];

interface Attempt {
  stages: ConnectionStages;
  type: ConnectionType;
  remoteKey: string;
  signalingToConnection: number;
  connectionToHandshake: number;
  total: number;
  reconnection: boolean;
}

export interface RecordSetup {
  metrics: ClientMetrics;
  /** What a user recording straight into OTel does for one connection. */
  bare: (attempt: Attempt) => void;
  /** A fresh batch of attempts that have reached their first handshake. */
  attempts: () => Attempt[];
  reader: MetricReader;
  provider: MeterProvider;
}

export function recordSetup(): RecordSetup {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new ClientMetrics({
    version: '0.40.1',
    managementUrl: 'https://netbird.example.com:443',
    publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
    os: 'linux',
    arch: 'amd64',
    meterProvider: provider,
    env: {}, // no NB_METRICS_* from the shell: nothing is pushed while measuring
  });
  const agent = metrics.agentInfo;
  // The same layout as ours: the total in one histogram, the two stages in another.
  const bareMeter = provider.getMeter('bench-bare');
  const histogram = bareMeter.createHistogram('bare.connection.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  });
  const stageHistogram = bareMeter.createHistogram('bare.connection.stage.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  });
  const bare = (a: Attempt) => {
    const attributes = {
      deployment_type: agent.deploymentType,
      connection_type: a.type,
      attempt_type: a.reconnection ? 'reconnection' : 'initial',
      version: agent.version,
      os: agent.os,
      arch: agent.arch,
      peer_id: agent.peerId,
    };
    histogram.record(a.total, attributes);
    stageHistogram.record(a.signalingToConnection, {
      ...attributes,
      stage: 'signaling_to_connection',
    });
    stageHistogram.record(a.connectionToHandshake, {
      ...attributes,
      stage: 'connection_to_wg_handshake',
    });
  };
  const random = seededRandom(7);
  const remoteKeys = Array.from({ length: 500 }, (_, i) =>
    Buffer.from(`remote-wireguard-key-${i}-padding-to-32`).toString('base64'),
  );
  const attempts = () => {
    const out: Attempt[] = [];
    const now = Date.now();
    for (let i = 0; i < BATCH; i++) {
      const stages = new ConnectionStages();
      const reconnection = random() < 0.3;
      if (reconnection) stages.disconnected();
      const signaling = now - 5_000;
      const ready = signaling + Math.round(50 + random() * 3_000);
      const handshake = ready + Math.round(random() * 1_500);
      stages.signalingReceived(signaling);
      stages.connectionReady(ready);
      stages.wgHandshake(handshake);
      out.push({
        stages,
        type: TYPES[Math.floor(random() * TYPES.length)] as ConnectionType,
        remoteKey: remoteKeys[Math.floor(random() * remoteKeys.length)] as string,
        signalingToConnection: (ready - signaling) / 1000,
        connectionToHandshake: (handshake - ready) / 1000,
        total: (handshake - signaling) / 1000,
        reconnection,
      });
    }
    return out;
  };
  return { metrics, bare, attempts, reader, provider };
}

export async function benchRecordConnection(quick: boolean): Promise<BenchResult> {
  const setup = recordSetup();
  let batch: Attempt[] = [];
  let used = true;
  const fresh = () => {
    batch = setup.attempts();
    used = false;
  };
  // tinybench may call a task once more than its hooks (e.g. between warmup and run); an
  // attempt is recordable only once, so a used batch is replaced (rare, and timed for both).
  const take = () => {
    if (used) fresh();
    used = true;
    return batch;
  };
  const timing = await timePair(
    'recordConnection',
    {
      fn: () => {
        for (const a of take()) setup.metrics.recordConnection(a.stages, a.type, a.remoteKey);
      },
      opsPerCall: BATCH,
      beforeEach: fresh,
    },
    {
      fn: () => {
        for (const a of take()) setup.bare(a);
      },
      opsPerCall: BATCH,
      beforeEach: fresh,
    },
    { timeMs: quick ? 300 : 1_500, rounds: quick ? 1 : 3 },
  );
  const stats = setup.metrics.stats();
  if (stats.recorded === 0 || stats.rejectedBySchema > 0 || stats.skippedConnections > 0) {
    throw new Error(`recordConnection benchmark recorded wrongly: ${JSON.stringify(stats)}`);
  }
  await setup.provider.shutdown();
  return result({
    id: 2,
    title: 'recordConnection (schema check + timestamped store + 3 OTel records) vs 3 bare records',
    figures: [
      {
        label: 'ours: ClientMetrics.recordConnection',
        value: timing.subjectNsPerOp,
        unit: 'ns/op',
      },
      {
        label: 'anchor: 3 × histogram.record, same attributes',
        value: timing.anchorNsPerOp,
        unit: 'ns/op',
      },
    ],
    ratio: timing.timeRatio,
    ratioMeaning: 'our time / bare OTel time',
    target: { comparison: '<=', value: 1.3 },
    notes: [
      `same MeterProvider and reader (cumulative, never collected); store at its ${setup.metrics.store.maxSamples}-sample bound while timing`,
      `median of ${timing.rounds} alternating rounds; last-round ±${timing.subjectRme.toFixed(1)} % / ±${timing.anchorRme.toFixed(1)} %`,
    ],
  });
}

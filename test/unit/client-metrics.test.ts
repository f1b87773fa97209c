import { DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionStages,
  type ConnectionType,
  connectionPairId,
  createClientMetrics,
  DURATION_BUCKETS_SECONDS,
  INSTRUMENTS,
  peerId,
} from '../../src/index.js';
import { checkSample, describeViolation } from '../../src/protocol/schema.js';
import { captureDiag } from '../helpers/diag-capture.js';
import { findHistogram, testProvider } from '../helpers/test-reader.js';

const KEY = 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=';
const REMOTE = 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09';
const NOW = 1_760_000_000_000;

function setup(overrides: { managementUrl?: string; otelConnectionPairId?: boolean } = {}) {
  const { provider, reader } = testProvider();
  const clock = { now: NOW };
  const m = createClientMetrics({
    version: '0.40.1',
    managementUrl: 'https://netbird.example.com:443',
    publicKey: KEY,
    os: 'linux',
    arch: 'amd64',
    meterProvider: provider,
    clock: () => clock.now,
    ...overrides,
  });
  return { m, reader, clock };
}

/** Stages 3 s, 2 s and 1 s before now, as the reference's test does. */
function connectedStages(now = NOW): ConnectionStages {
  const s = new ConnectionStages();
  s.signalingReceived(now - 3000);
  s.connectionReady(now - 2000);
  s.wgHandshake(now - 1000);
  return s;
}

const fieldsOf = (line: string) => line.split(' ')[1];

describe('ClientMetrics: line protocol, as the Go client writes it', () => {
  it('records a connection with the measurement and all three fields', () => {
    const { m } = setup();
    expect(m.recordConnection(connectedStages(), 'ice_p2p', REMOTE)).toBe(true);
    const out = m.exportLineProtocol();
    const me = peerId(KEY);
    expect(out).toBe(
      'netbird_peer_connection,deployment_type=selfhosted,connection_type=ice_p2p,attempt_type=initial,' +
        `version=0.40.1,os=linux,arch=amd64,peer_id=${me},connection_pair_id=${connectionPairId(me, peerId(REMOTE))} ` +
        `connection_to_wg_handshake_seconds=1,signaling_to_connection_seconds=1,total_seconds=2 ${BigInt(NOW) * 1_000_000n}\n`,
    );
  });

  it('ten connections give ten lines with identical, sorted field sections', () => {
    const { m } = setup();
    for (let i = 0; i < 10; i++) m.recordConnection(connectedStages(), 'ice_p2p', REMOTE);
    const lines = m.exportLineProtocol().trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    const fields = new Set(lines.map(fieldsOf));
    expect(fields.size).toBe(1);
    expect([...fields][0]).toMatch(/^connection_to_wg_handshake_seconds=/);
  });

  it('reset empties the export; a new store exports nothing', () => {
    const { m } = setup();
    expect(m.exportLineProtocol()).toBe('');
    m.recordSync(1);
    expect(m.exportLineProtocol()).not.toBe('');
    m.store.clear();
    expect(m.exportLineProtocol()).toBe('');
    expect(m.store.takeBatch()).toBeUndefined();
  });

  it('records a sync for a self-hosted agent', () => {
    const { m } = setup();
    m.recordSync(1.5);
    const out = m.exportLineProtocol();
    expect(out).toContain('netbird_sync,');
    expect(out).toContain('duration_seconds=1.5');
    expect(out).toContain('deployment_type=selfhosted');
  });

  it('records logins with their result', () => {
    const { m } = setup();
    m.recordLogin(2.5, true);
    m.recordLogin(0.75, false);
    const [ok, failed] = m.exportLineProtocol().trimEnd().split('\n');
    expect(ok).toMatch(/^netbird_login,deployment_type=selfhosted,result=success,/);
    expect(ok).toContain('duration_seconds=2.5');
    expect(failed).toMatch(/result=failure/);
  });

  it('records sync phases with the phase as the last tag', () => {
    const { m } = setup();
    m.recordSyncPhase('routes_apply', 0.00005);
    expect(m.exportLineProtocol()).toMatch(
      /^netbird_sync_phase,deployment_type=selfhosted,version=0\.40\.1,os=linux,arch=amd64,peer_id=[0-9a-f]{16},phase=routes_apply duration_seconds=0\.00005 \d+\n$/,
    );
  });

  it('writes 0 for a stage whose timestamps are missing', () => {
    const { m } = setup();
    const s = new ConnectionStages();
    s.connectionReady(NOW - 500);
    s.wgHandshake(NOW);
    m.recordConnection(s, 'relay', REMOTE);
    expect(m.exportLineProtocol()).toContain(
      'connection_to_wg_handshake_seconds=0.5,signaling_to_connection_seconds=0,total_seconds=0',
    );
  });

  it('tags reconnections', () => {
    const { m } = setup();
    const s = connectedStages();
    s.disconnected();
    s.signalingReceived(NOW - 200);
    s.connectionReady(NOW - 100);
    s.wgHandshake(NOW);
    m.recordConnection(s, 'ice_turn', REMOTE);
    expect(m.exportLineProtocol()).toContain('attempt_type=reconnection');
  });

  it('leaves the peer id out until it is known, then uses the new agent info', () => {
    const { m } = setup();
    m.updateAgentInfo({ publicKey: '' });
    m.recordSync(1);
    expect(m.exportLineProtocol()).not.toContain('peer_id');
    m.updateAgentInfo({ publicKey: KEY, managementUrl: 'api.netbird.io:443', version: '0.41.0' });
    m.recordSync(1);
    const last = m.exportLineProtocol().trimEnd().split('\n')[1];
    expect(last).toContain(`peer_id=${peerId(KEY)}`);
    expect(last).toContain('deployment_type=cloud');
    expect(last).toContain('version=0.41.0');
  });
});

describe('ClientMetrics: connection pair id', () => {
  it('follows the local peer id when the agent info changes', () => {
    const { m } = setup();
    m.recordConnection(connectedStages(), 'relay', REMOTE);
    const other = 'b3RoZXItbG9jYWwta2V5LWZvci10aGUtc2FtZS1ob3N0PT0=';
    m.updateAgentInfo({ publicKey: other });
    m.recordConnection(connectedStages(), 'relay', REMOTE);
    const pairs = m
      .exportLineProtocol()
      .trimEnd()
      .split('\n')
      .map((l) => /connection_pair_id=([0-9a-f]+)/.exec(l)?.[1]);
    expect(pairs).toEqual([
      connectionPairId(peerId(KEY), peerId(REMOTE)),
      connectionPairId(peerId(other), peerId(REMOTE)),
    ]);
  });
});

describe('ClientMetrics: bounded caches stay correct past their bounds', () => {
  it('pair ids for more remote peers than the cache holds (4096)', () => {
    const { m } = setup();
    const remotes = Array.from({ length: 4200 }, (_, i) => `remote-key-${i}`);
    for (const r of [...remotes, ...remotes.slice(0, 50)]) {
      m.recordConnection(connectedStages(), 'relay', r);
    }
    const pairs = m
      .exportLineProtocol()
      .trimEnd()
      .split('\n')
      .map((l) => /connection_pair_id=([0-9a-f]+)/.exec(l)?.[1]);
    const me = peerId(KEY);
    const want = [...remotes, ...remotes.slice(0, 50)].map((r) => connectionPairId(me, peerId(r)));
    expect(pairs).toEqual(want);
  });

  it('OTel attribute sets for more agent versions than the cache holds (512)', async () => {
    const { m, reader } = setup();
    for (let v = 0; v < 600; v++) {
      m.updateAgentInfo({ version: `0.${v}.0` });
      m.recordSync(1);
      m.recordConnection(connectedStages(), 'ice_p2p', REMOTE);
    }
    m.updateAgentInfo({ version: '0.0.0' }); // evicted long ago: built again, same attributes
    m.recordSync(2);
    const rm = await reader.collectMetrics();
    const syncs = findHistogram(rm, INSTRUMENTS.sync)!.dataPoints;
    expect(syncs).toHaveLength(600);
    const first = syncs.find((p) => p.attributes.version === '0.0.0')!;
    expect(first.value.count).toBe(2);
    expect(first.value.sum).toBe(3);
    const totals = findHistogram(rm, INSTRUMENTS.connection)!.dataPoints;
    expect(totals).toHaveLength(600);
    expect(new Set(totals.map((p) => p.attributes.version)).size).toBe(600);
    expect(findHistogram(rm, INSTRUMENTS.connectionStage)!.dataPoints).toHaveLength(1200);
  });
});

describe('ClientMetrics: at most one sample per attempt, so retries do not count twice', () => {
  it('records an attempt once, and the next attempt again', () => {
    const { m } = setup();
    const s = connectedStages();
    expect(m.recordConnection(s, 'ice_p2p', REMOTE)).toBe(true);
    expect(m.recordConnection(s, 'ice_p2p', REMOTE)).toBe(false);
    s.disconnected();
    s.signalingReceived(NOW);
    s.connectionReady(NOW);
    s.wgHandshake(NOW);
    expect(m.recordConnection(s, 'relay', REMOTE)).toBe(true);
    expect(m.store.size).toBe(2);
    expect(m.stats().skippedConnections).toBe(1);
  });
});

describe('ClientMetrics: samples that fail the schema go nowhere', () => {
  afterEach(() => diag.disable());

  it.each([
    ['negative', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['over the cap', 86_401],
  ])('refuses a %s duration in both sinks', async (_name, value) => {
    const { m, reader } = setup();
    expect(m.recordSync(value)).toBe(false);
    expect(m.recordLogin(value, true)).toBe(false);
    expect(m.exportLineProtocol()).toBe('');
    const rm = await reader.collectMetrics();
    expect(findHistogram(rm, INSTRUMENTS.sync)?.dataPoints ?? []).toHaveLength(0);
    expect(m.stats().rejectedBySchema).toBe(2);
  });

  it('refuses an unknown connection type or phase, and a negative stage', () => {
    const { m } = setup();
    expect(m.recordConnection(connectedStages(), 'ice' as ConnectionType, REMOTE)).toBe(false);
    expect(m.recordSyncPhase('nope' as never, 1)).toBe(false);
    const s = new ConnectionStages();
    s.signalingReceived(NOW); // signal after ready: a negative first stage
    s.connectionReady(NOW - 1000);
    s.wgHandshake(NOW);
    expect(m.recordConnection(s, 'ice_p2p', REMOTE)).toBe(false);
    expect(m.store.size).toBe(0);
    expect(m.stats().rejectedByReason).toEqual({
      'unknown connection type': 1,
      'invalid tag value': 1,
      'negative value': 1,
    });
  });

  it('reports each reason once through diag', () => {
    const messages = captureDiag(DiagLogLevel.WARN);
    const { m } = setup();
    for (let i = 0; i < 5; i++) m.recordSync(-1);
    m.recordSync(1e9);
    const ours = messages.filter((x) => x.includes('sample not recorded'));
    expect(ours).toHaveLength(2);
    expect(ours[0]).toMatch(/negative/);
    expect(ours[1]).toMatch(/too large/);
  });

  it('refuses a connection for the agent tags exactly as checkSample does, and sees them change', () => {
    const messages = captureDiag(DiagLogLevel.WARN);
    const { m } = setup();
    const agents = [
      { version: 'v 1\u0007' },
      { version: '0.40.1', os: 'l'.repeat(65) },
      { os: 'linux', arch: 'ärm' },
      { arch: 'amd64' },
      { version: '' },
    ];
    const negative = () => {
      const s = new ConnectionStages();
      s.signalingReceived(NOW);
      s.connectionReady(NOW - 1000);
      s.wgHandshake(NOW);
      return s;
    };
    const expected: string[] = [];
    for (const agent of agents) {
      m.updateAgentInfo(agent);
      for (const stages of [connectedStages(), negative()]) {
        const a = m.agentInfo;
        const me = a.peerId;
        const sample = {
          measurement: 'netbird_peer_connection',
          tags: {
            deployment_type: a.deploymentType,
            connection_type: 'relay',
            attempt_type: 'initial',
            version: a.version,
            os: a.os,
            arch: a.arch,
            peer_id: me,
            connection_pair_id: connectionPairId(me, peerId(REMOTE)),
          },
          fields: {
            connection_to_wg_handshake_seconds: 1,
            signaling_to_connection_seconds: 1,
            total_seconds: 2,
          },
        };
        if (
          stages !== undefined &&
          stages.snapshot().connectionReady! < stages.snapshot().signalingReceived!
        ) {
          sample.fields.signaling_to_connection_seconds = -1;
          sample.fields.total_seconds = 0;
        }
        const violation = checkSample(sample);
        expect(m.recordConnection(stages, 'relay', REMOTE)).toBe(violation === undefined);
        if (violation !== undefined) {
          const message = `netbird-otel-metrics: sample not recorded: netbird_peer_connection: ${describeViolation(violation)}`;
          if (!expected.some((e) => e.startsWith(`${violation.kind}:`))) {
            expected.push(`${violation.kind}:${message}`);
          }
        }
      }
    }
    const ours = messages.filter((x) => x.includes('sample not recorded'));
    expect(ours).toEqual(expected.map((e) => e.slice(e.indexOf(':') + 1)));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(m.store.size).toBe(2); // the two well-formed agents, one connection each
  });

  it('does not use up the attempt when the sample is refused', () => {
    const { m } = setup();
    const s = connectedStages();
    expect(m.recordConnection(s, 'bogus' as ConnectionType, REMOTE)).toBe(false);
    expect(m.recordConnection(s, 'relay', REMOTE)).toBe(true);
  });
});

describe('ClientMetrics: OTel histograms with the Influx tag names as attributes', () => {
  it('records the total and each connection stage with unit, buckets and the Influx tag names', async () => {
    const { m, reader } = setup();
    m.recordConnection(connectedStages(), 'ice_p2p', REMOTE);
    const rm = await reader.collectMetrics();
    const attributes = {
      deployment_type: 'selfhosted',
      connection_type: 'ice_p2p',
      attempt_type: 'initial',
      version: '0.40.1',
      os: 'linux',
      arch: 'amd64',
      peer_id: peerId(KEY),
    };
    const total = findHistogram(rm, INSTRUMENTS.connection)!;
    expect(total.descriptor.unit).toBe('s');
    expect(total.dataPoints).toHaveLength(1);
    expect(total.dataPoints[0]!.value.sum).toBe(2);
    expect(total.dataPoints[0]!.value.count).toBe(1);
    expect(total.dataPoints[0]!.value.buckets.boundaries).toEqual(DURATION_BUCKETS_SECONDS);
    expect(total.dataPoints[0]!.attributes).toEqual(attributes);

    const stages = findHistogram(rm, INSTRUMENTS.connectionStage)!;
    expect(stages.descriptor.unit).toBe('s');
    const byStage = Object.fromEntries(stages.dataPoints.map((p) => [p.attributes.stage, p]));
    expect(Object.keys(byStage).sort()).toEqual([
      'connection_to_wg_handshake',
      'signaling_to_connection',
    ]);
    expect(byStage.signaling_to_connection!.value.sum).toBe(1);
    expect(byStage.connection_to_wg_handshake!.value.sum).toBe(1);
    expect(byStage.signaling_to_connection!.value.buckets.boundaries).toEqual(
      DURATION_BUCKETS_SECONDS,
    );
    expect(byStage.signaling_to_connection!.attributes).toEqual({
      ...attributes,
      stage: 'signaling_to_connection',
    });
  });

  it('a sum over stage counts each connection once: the total is not a stage', async () => {
    const { m, reader } = setup();
    for (let i = 0; i < 4; i++) m.recordConnection(connectedStages(), 'relay', REMOTE);
    const rm = await reader.collectMetrics();
    const count = (name: string) =>
      findHistogram(rm, name)!.dataPoints.reduce((n, p) => n + p.value.count, 0);
    expect(count(INSTRUMENTS.connection)).toBe(4);
    // Two stages per connection, each counted once per stage.
    expect(count(INSTRUMENTS.connectionStage)).toBe(8);
    for (const p of findHistogram(rm, INSTRUMENTS.connectionStage)!.dataPoints) {
      expect(p.value.count).toBe(4);
    }
  });

  it('keeps attribute sets apart when the agent info or the tags change', async () => {
    const { m, reader } = setup();
    m.recordConnection(connectedStages(), 'relay', REMOTE);
    m.recordConnection(connectedStages(), 'ice_turn', REMOTE);
    m.updateAgentInfo({ version: '0.41.0' });
    m.recordConnection(connectedStages(), 'relay', REMOTE);
    m.recordLogin(1, true);
    m.recordLogin(1, false);
    const rm = await reader.collectMetrics();
    const totals = findHistogram(rm, INSTRUMENTS.connection)!
      .dataPoints.map(
        (p) => `${p.attributes.connection_type}@${p.attributes.version}:${p.value.count}`,
      )
      .sort();
    expect(totals).toEqual(['ice_turn@0.40.1:1', 'relay@0.40.1:1', 'relay@0.41.0:1']);
    const logins = findHistogram(rm, INSTRUMENTS.login)!.dataPoints.map((p) => p.attributes.result);
    expect(logins.sort()).toEqual(['failure', 'success']);
  });

  it('adds connection_pair_id only when opted in', async () => {
    const { m, reader } = setup({ otelConnectionPairId: true });
    m.recordConnection(connectedStages(), 'relay', REMOTE);
    const rm = await reader.collectMetrics();
    for (const name of [INSTRUMENTS.connection, INSTRUMENTS.connectionStage]) {
      for (const p of findHistogram(rm, name)!.dataPoints) {
        expect(p.attributes.connection_pair_id).toMatch(/^[0-9a-f]{16}$/);
      }
    }
  });

  it('does not record a stage whose timestamps are missing', async () => {
    const { m, reader } = setup();
    const s = new ConnectionStages();
    s.connectionReady(NOW - 500);
    s.wgHandshake(NOW);
    m.recordConnection(s, 'relay', REMOTE);
    const rm = await reader.collectMetrics();
    // No first signal: neither the first stage nor the total is known.
    expect(findHistogram(rm, INSTRUMENTS.connection)?.dataPoints ?? []).toHaveLength(0);
    const h = findHistogram(rm, INSTRUMENTS.connectionStage)!;
    expect(h.dataPoints.map((p) => p.attributes.stage)).toEqual(['connection_to_wg_handshake']);
  });

  it('records sync, phase and login histograms', async () => {
    const { m, reader } = setup();
    m.recordSync(0.25);
    m.recordSyncPhase('checks', 0.001);
    m.recordLogin(1.25, false);
    const rm = await reader.collectMetrics();
    expect(findHistogram(rm, INSTRUMENTS.sync)!.dataPoints[0]!.value.sum).toBe(0.25);
    expect(findHistogram(rm, INSTRUMENTS.syncPhase)!.dataPoints[0]!.attributes.phase).toBe(
      'checks',
    );
    expect(findHistogram(rm, INSTRUMENTS.login)!.dataPoints[0]!.attributes.result).toBe('failure');
  });

  it('uses the global MeterProvider by default', async () => {
    const { provider, reader } = testProvider();
    metrics.setGlobalMeterProvider(provider);
    try {
      const m = createClientMetrics({ version: '1.0.0', publicKey: KEY });
      m.recordSync(0.5);
      expect(findHistogram(await reader.collectMetrics(), INSTRUMENTS.sync)).toBeDefined();
    } finally {
      metrics.disable();
    }
  });
});

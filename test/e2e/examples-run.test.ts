// The examples run as a user runs them (their own process, configured by environment), and what
// they send arrives: OTLP in VictoriaMetrics (standing in for a collector's OTLP receiver, since
// no collector binary can run here), the NetBird push in a real ingest server's store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createIngestServer, type IngestServer } from '../../src/ingest/server.js';
import { EmbeddedStore } from '../../src/ingest/sinks/embedded-store.js';
import { peerId } from '../../src/instrumentation/identifiers.js';
import type { Sample } from '../../src/protocol/schema.js';
import {
  type PromSample,
  uniqueName,
  vmForceFlush,
  vmQuery,
  waitFor,
} from '../helpers/backend-clients.js';
import { runScript } from '../helpers/run-script.js';

const vm = inject('victoriaUrl');
const OTLP = `${vm}/opentelemetry/v1/metrics`;

/** PromQL over one service's series; VictoriaMetrics keeps OTLP resource attributes as labels. */
async function byLabel(expr: string, label: string): Promise<Record<string, number>> {
  await vmForceFlush(vm);
  const rows: PromSample[] = await vmQuery(vm, expr);
  return Object.fromEntries(rows.map((r) => [r.metric[label] ?? '', r.value]));
}

/**
 * One service's series of an instrument, whichever naming VictoriaMetrics applies: dotted names
 * and a `service.name` label by default, `_seconds` names and `service_name` with
 * `-opentelemetry.usePrometheusNaming`.
 */
const selector = (name: string, suffix: string, service: string) => {
  const metric = `__name__=~"${name.split('.').join('[._]')}(_seconds)?_${suffix}"`;
  return `({${metric}, "service.name"="${service}"} or {${metric}, service_name="${service}"})`;
};

/** The histograms the examples record (connection, sync, login), as printed and exported. */
const HISTOGRAMS = [
  'netbird.peer.connection.duration',
  'netbird.peer.connection.stage.duration',
  'netbird.sync.duration',
  'netbird.login.duration',
];

/** A port nothing listens on: the examples must say that nothing arrived. */
const UNREACHABLE = 'http://127.0.0.1:1';

interface Ingest {
  url: string;
  samples(): Promise<Sample[]>;
}
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A real ingest server with its own embedded store, closed after the test. */
async function startIngest(): Promise<Ingest> {
  const dir = await mkdtemp(join(tmpdir(), 'nbom-examples-'));
  const store = await EmbeddedStore.open({
    dataDir: dir,
    retentionDays: 1,
    retentionBytes: 10 * 1024 * 1024,
  });
  const server: IngestServer = createIngestServer({ sink: store, logLevel: 'silent' });
  const { url } = await server.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    url,
    samples: async () => {
      const out: Sample[] = [];
      for await (const s of store.readSamples()) out.push(s);
      return out;
    },
  };
}

/** The connection histograms of one service: counts of the total and of each stage. */
async function connectionCounts(service: string) {
  const total = await byLabel(
    `sum(${selector('netbird.peer.connection.duration', 'count', service)})`,
    '',
  );
  const stages = await byLabel(
    `sum by (stage) (${selector('netbird.peer.connection.stage.duration', 'count', service)})`,
    'stage',
  );
  return { total: total[''], stages };
}

describe('examples/quickstart.ts', () => {
  it('prints the OTel data points and the line protocol of one connection, sync and login', async () => {
    const run = await runScript('examples/quickstart.ts', [], { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    for (const name of HISTOGRAMS) expect(run.stdout).toContain(name);
    for (const m of [
      'netbird_peer_connection,',
      'netbird_sync,',
      'netbird_sync_phase,',
      'netbird_login,',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^${m}.* \\d{19}$`, 'm'));
    }
    expect(run.stdout).not.toContain('--- push ---');
  });

  it('with an ingest URL on the command line, pushes there and says it arrived', async () => {
    const ingest = await startIngest();
    const run = await runScript('examples/quickstart.ts', [`${ingest.url}/`], {
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`delivered 4 of 4 samples to ${ingest.url}/`);
    const samples = await ingest.samples();
    expect(samples.map((s) => s.measurement).sort()).toEqual([
      'netbird_login',
      'netbird_peer_connection',
      'netbird_sync',
      'netbird_sync_phase',
    ]);
  });

  it('says so when the ingest cannot be reached', async () => {
    const run = await runScript('examples/quickstart.ts', [`${UNREACHABLE}/`], {
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`NOT delivered: 0 of 4 samples reached ${UNREACHABLE}/`);
  });
});

describe('examples/own-meter-provider.ts', () => {
  it('sends the NetBird histograms through the app’s own OTLP pipeline', async () => {
    const service = uniqueName('own_provider');
    const run = await runScript('examples/own-meter-provider.ts', [], {
      env: { OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: OTLP },
      timeoutMs: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`recorded 4 samples; delivered 1 OTLP export(s) to ${OTLP}\n`);
    const counts = await waitFor(() => connectionCounts(service), {
      timeoutMs: 10_000,
      until: (v) => Object.keys(v.stages).length === 2 && v.total !== undefined,
      what: 'connection histograms',
    });
    expect(counts).toEqual({
      total: 1,
      stages: { signaling_to_connection: 1, connection_to_wg_handshake: 1 },
    });
    const sums = await byLabel(
      `sum by (stage) (${selector('netbird.peer.connection.stage.duration', 'sum', service)})`,
      'stage',
    );
    expect(sums.signaling_to_connection).toBeCloseTo(0.64, 9);
    expect(sums.connection_to_wg_handshake).toBeCloseTo(0.09, 9);
    const total = await byLabel(
      `sum(${selector('netbird.peer.connection.duration', 'sum', service)})`,
      '',
    );
    expect(total['']).toBeCloseTo(0.73, 9);
    const sync = await byLabel(`sum(${selector('netbird.sync.duration', 'sum', service)})`, '');
    expect(sync['']).toBeCloseTo(0.184, 9);
    const login = await byLabel(
      `sum by (result) (${selector('netbird.login.duration', 'count', service)})`,
      'result',
    );
    expect(login).toEqual({ success: 1 });
  });

  it('takes the OTLP endpoint on the command line, and says when nothing arrived', async () => {
    const service = uniqueName('own_provider_arg');
    const run = await runScript('examples/own-meter-provider.ts', [OTLP], {
      env: { OTEL_SERVICE_NAME: service },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`delivered 1 OTLP export(s) to ${OTLP}`);
    const counts = await waitFor(() => connectionCounts(service), {
      timeoutMs: 10_000,
      until: (v) => v.total === 1,
      what: 'connection total',
    });
    expect(counts.total).toBe(1);

    const failed = await runScript(
      'examples/own-meter-provider.ts',
      [`${UNREACHABLE}/v1/metrics`],
      {
        timeoutMs: 60_000,
      },
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `recorded 4 samples; NOT delivered to ${UNREACHABLE}/v1/metrics`,
    );
  });
});

describe('examples/nodesdk.ts', () => {
  it('NetBird as a NodeSDK instrumentation: its histograms arrive under the app’s service', async () => {
    const service = uniqueName('nodesdk');
    const run = await runScript('examples/nodesdk.ts', [OTLP], {
      env: { OTEL_SERVICE_NAME: service },
      timeoutMs: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`recorded 3 samples; delivered 1 OTLP export(s) to ${OTLP}\n`);
    const counts = await waitFor(() => connectionCounts(service), {
      timeoutMs: 10_000,
      until: (v) => Object.keys(v.stages).length === 2 && v.total !== undefined,
      what: 'connection histograms',
    });
    expect(counts).toEqual({
      total: 1,
      stages: { signaling_to_connection: 1, connection_to_wg_handshake: 1 },
    });
    const types = await byLabel(
      `sum by (connection_type) (${selector('netbird.peer.connection.duration', 'count', service)})`,
      'connection_type',
    );
    expect(types).toEqual({ ice_turn: 1 });
    const sync = await byLabel(`sum(${selector('netbird.sync.duration', 'sum', service)})`, '');
    expect(sync['']).toBeCloseTo(0.21, 9);
  });

  it('says when the export did not arrive', async () => {
    const run = await runScript('examples/nodesdk.ts', [`${UNREACHABLE}/v1/metrics`], {
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`NOT delivered to ${UNREACHABLE}/v1/metrics`);
  });
});

describe('examples/env-only.ts', () => {
  it('NB_METRICS_EXPORTER=otlp: OTLP to the collector endpoint, nothing pushed', async () => {
    const service = uniqueName('env_only');
    const run = await runScript('examples/env-only.ts', [], {
      env: {
        NB_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `${vm}/opentelemetry`,
        OTEL_SERVICE_NAME: service,
      },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'recorded 4 samples; exporters: otlp; pushed 0 samples in 0 requests',
    );
    expect(run.stdout).toContain('everything was delivered');
    const logins = await waitFor(
      () =>
        byLabel(
          `sum by (result) (${selector('netbird.login.duration', 'count', service)})`,
          'result',
        ),
      { timeoutMs: 10_000, until: (v) => Object.keys(v).length === 2, what: 'login histograms' },
    );
    expect(logins).toEqual({ success: 1, failure: 1 });
    const types = await byLabel(
      `sum by (connection_type) (${selector('netbird.peer.connection.duration', 'count', service)})`,
      'connection_type',
    );
    // One connection: the total instrument counts it once.
    expect(types).toEqual({ relay: 1 });
  });

  it.each([
    ['push settings', false],
    ['the ingest URL on the command line', true],
  ])(
    'NB_METRICS_EXPORTER=influx with %s: the samples land in the ingest store',
    async (_how, asArgument) => {
      const ingest = await startIngest();
      const pushEnv = {
        NB_METRICS_PUSH_ENABLED: 'true',
        NB_METRICS_FORCE_SENDING: 'true',
        NB_METRICS_SERVER_URL: `${ingest.url}/`,
      };
      const run = await runScript('examples/env-only.ts', asArgument ? [`${ingest.url}/`] : [], {
        env: { NB_METRICS_EXPORTER: 'influx', ...(asArgument ? {} : pushEnv) },
        timeoutMs: 30_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('recorded 4 samples; exporters: influx; pushed 4 samples');
      expect(run.stdout).toContain('everything was delivered');
      const samples = await ingest.samples();
      expect(samples.map((s) => s.measurement).sort()).toEqual([
        'netbird_login',
        'netbird_login',
        'netbird_peer_connection',
        'netbird_sync',
      ]);
      const own = peerId('ZW52LW9ubHktZXhhbXBsZS13aXJlZ3VhcmQta2V5LWJhc2U2NA==');
      expect(
        samples.every((s) => s.tags.peer_id === own && s.tags.deployment_type === 'selfhosted'),
      ).toBe(true);
      const conn = samples.find((s) => s.measurement === 'netbird_peer_connection');
      expect(conn?.tags.connection_type).toBe('relay');
      expect(conn?.fields.total_seconds).toBeCloseTo(2.4, 9);
    },
  );

  it('NB_METRICS_EXPORTER=otlp with the endpoint on the command line', async () => {
    const service = uniqueName('env_only_arg');
    const run = await runScript('examples/env-only.ts', [`${vm}/opentelemetry`], {
      env: { NB_METRICS_EXPORTER: 'otlp', OTEL_SERVICE_NAME: service },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('everything was delivered');
    const logins = await waitFor(
      () =>
        byLabel(
          `sum by (result) (${selector('netbird.login.duration', 'count', service)})`,
          'result',
        ),
      { timeoutMs: 10_000, until: (v) => Object.keys(v).length === 2, what: 'login histograms' },
    );
    expect(logins).toEqual({ success: 1, failure: 1 });
  });

  it('says what was not delivered when the collector cannot be reached', async () => {
    const run = await runScript('examples/env-only.ts', [UNREACHABLE], {
      env: { NB_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_TIMEOUT: '2000' },
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('recorded 4 samples; exporters: otlp');
    expect(run.stderr).toContain('NOT delivered');
  });

  it('NB_METRICS_EXPORTER=console: prints the histograms', async () => {
    const run = await runScript('examples/env-only.ts', [], {
      env: { NB_METRICS_EXPORTER: 'console' },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    for (const name of HISTOGRAMS) expect(run.stdout).toContain(name);
  });

  it('an invalid setting is an error naming the variable in strict mode', async () => {
    const run = await runScript('examples/env-only.ts', [], {
      env: { NB_METRICS_EXPORTER: 'carrier-pigeon', NB_METRICS_STRICT_CONFIG: 'true' },
      timeoutMs: 30_000,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('NB_METRICS_EXPORTER');
  });

  it('an invalid setting is otherwise a warning naming the variable, and its default', async () => {
    const run = await runScript('examples/env-only.ts', [], {
      env: { NB_METRICS_EXPORTER: 'carrier-pigeon' },
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('NB_METRICS_EXPORTER');
    expect(run.stdout).toContain('recorded 4 samples');
  });
});

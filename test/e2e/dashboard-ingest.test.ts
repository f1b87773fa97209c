// The `netbird-metrics-ingest` command serves /dashboard: pushes go through the ingest into
// InfluxDB 1.6, and the dashboard reads them back through InfluxQL (derived from INFLUXDB_URL);
// with no database, from its embedded store.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { computePanels, type DashboardData } from '../../src/ingest/dashboard/panels.js';
import { influxCreateDatabase, uniqueName } from '../helpers/backend-clients.js';
import { lineProtocol, recordDemoFleet } from '../helpers/demo-data.js';
import { push } from '../helpers/ingest-server.js';
import { ROOT } from '../helpers/run-script.js';
import { freePort } from '../setup/backends.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
    );
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function startIngest(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/ingest/cli.js')], {
    env: {
      PATH: process.env.PATH,
      INGEST_LISTEN_ADDR: `127.0.0.1:${port}`,
      INGEST_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start:\n${out}`)), 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`ingest exited with ${code}:\n${out}`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** Pushes as a NetBird client does: gzip, X-Peer-ID, one request per peer. */
async function pushPeers(url: string, lines: Map<string, string>): Promise<void> {
  for (const [peer, body] of lines) {
    const res = await push(url, gzipSync(body), {
      'content-encoding': 'gzip',
      'x-peer-id': peer,
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(res.status, res.body).toBe(204);
  }
}

function demoPushes() {
  const demo = recordDemoFleet({ peers: 30, seed: 21, windowMs: 20 * 60_000 });
  const byPeer = new Map<string, string>();
  for (const s of demo.samples) {
    const peer = s.tags.peer_id as string;
    byPeer.set(peer, (byPeer.get(peer) ?? '') + lineProtocol([s]));
  }
  return { demo, byPeer };
}

function expectCounts(actual: DashboardData, expected: DashboardData): void {
  expect(actual.syncDurationExtremes).toEqual(expected.syncDurationExtremes);
  expect(actual.totalConnectionTimeExtremes).toEqual(expected.totalConnectionTimeExtremes);
  expect(actual.iceVsRelay).toEqual(expected.iceVsRelay);
  expect(actual.loginSuccessVsFailure).toEqual(expected.loginSuccessVsFailure);
  expect(actual.syncDuration.total).toBe(expected.syncDuration.total);
  expect(actual.totalConnectionTime.total).toBe(expected.totalConnectionTime.total);
  expect(actual.loginDuration.total).toBe(expected.loginDuration.total);
}

describe('netbird-metrics-ingest /dashboard', () => {
  it('reads InfluxDB through InfluxQL when the ingest writes to InfluxDB', async () => {
    const influx = inject('influxdbUrl');
    const db = uniqueName('ingest_dash');
    await influxCreateDatabase(influx, db);
    const url = await startIngest({ INFLUXDB_URL: `${influx}/write?db=${db}&precision=ns` });
    const { demo, byPeer } = demoPushes();
    await pushPeers(url, byPeer);
    const range = `from=${demo.from}&to=${demo.to}`;
    const body = (await (
      await fetch(`${url}/dashboard/data.json?${range}`)
    ).json()) as DashboardData & {
      source: string;
    };
    expect(body.source).toContain(`InfluxDB ${influx} · database ${db}`);
    expectCounts(body, computePanels(demo.samples, { from: demo.from, to: demo.to }));
    const html = await (await fetch(`${url}/dashboard?${range}`)).text();
    expect(html.match(/data-count="0"/g)).toBeNull();
  });

  it('reads its embedded store when it has no database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbom-ingest-dash-'));
    dirs.push(dir);
    const url = await startIngest({ INGEST_DATA_DIR: dir });
    const { demo, byPeer } = demoPushes();
    await pushPeers(url, byPeer);
    const body = (await (
      await fetch(`${url}/dashboard/data.json?from=${demo.from}&to=${demo.to}`)
    ).json()) as DashboardData & { source: string };
    expect(body.source).toBe(`embedded store (${dir})`);
    expectCounts(body, computePanels(demo.samples, { from: demo.from, to: demo.to }));
  });

  it('refuses dashboard settings that cannot work, at startup', async () => {
    await expect(startIngest({ DASHBOARD_SOURCE: 'grafana' })).rejects.toThrow(
      /DASHBOARD_SOURCE="grafana"/,
    );
  });
});

// A real ingest (its embedded store, or InfluxDB read back through InfluxQL) with the dashboard
// mounted as the command mounts it, filled through the push path with two sets of samples: a
// demo fleet (the last half hour) and a small hand-made set two days earlier whose groups tie at
// the group limit, lack tags, use phase names no client knows and sit on band, bucket and range
// edges.
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { createDashboardHandler } from '../../src/ingest/dashboard/handler.js';
import { dashboardSourceFromEnv } from '../../src/ingest/dashboard/mount.js';
import { DEFAULT_PANEL_LIMITS } from '../../src/ingest/dashboard/panels.js';
import { EmbeddedStore } from '../../src/ingest/sinks/embedded-store.js';
import type { Sample } from '../../src/protocol/schema.js';
import { lineProtocol, recordDemoFleet } from './demo-data.js';
import { PEER_ID, push, startIngest, type TestIngest } from './ingest-server.js';
import type { Range } from './reference-insights.js';

/** Groups shown on their own per breakdown: small, so the demo's os, version and type overflow. */
export const MAX_GROUPS = 2;

/** Where the ingest keeps the samples and the dashboard reads them from. */
export type DashboardStore =
  | { readonly kind: 'embedded' }
  /** An InfluxDB write URL: the ingest writes there, the dashboard reads it through InfluxQL. */
  | { readonly kind: 'influxdb'; readonly writeUrl: string };

export interface DashboardFixture {
  readonly ingest: TestIngest;
  /** Every sample pushed, as the test built it. */
  readonly samples: readonly Sample[];
  /** The demo fleet's window. */
  readonly demo: Range;
  /** The hand-made set's window (samples just outside it are stored too). */
  readonly crafted: Range;
  stop(): Promise<void>;
}

/** Pushes as a NetBird client does: gzip, X-Peer-ID, one request per peer. */
async function pushBody(url: string, body: string, peer: string): Promise<void> {
  const res = await push(url, gzipSync(body), {
    'content-encoding': 'gzip',
    'x-peer-id': peer,
    'content-type': 'text/plain; charset=utf-8',
  });
  expect(res.status, res.body).toBe(204);
}

function line(s: Sample): string {
  const tags = Object.entries(s.tags).map(([k, v]) => `,${k}=${v}`);
  const fields = Object.entries(s.fields).map(([k, v]) => `${k}=${v}`);
  return `${s.measurement}${tags.join('')} ${fields.join(',')} ${s.timestampNs}\n`;
}

const CRAFTED_WINDOW_MS = 10 * 60_000;

/** A version with every character HTML escapes (the line protocol takes them as they are). */
export const ODD_VERSION = `9.9.9-"rc"<b>&'x'`;

interface Conn {
  at: number;
  os?: string;
  type: string;
  attempt: string;
  total: number;
  extraNs?: bigint;
}

const CONNECTIONS: readonly Conn[] = [
  { at: 0, os: 'linux', type: 'relay', attempt: 'initial', total: 0.5 },
  { at: 14_999, os: 'linux', type: 'ice_turn', attempt: 'reconnection', total: 700 },
  { at: 15_000, os: 'linux', type: 'ice_p2p', attempt: 'initial', total: 0.0005 },
  { at: 60_000, os: 'darwin', type: 'relay', attempt: 'reconnection', total: 1 },
  { at: 61_000, os: 'darwin', type: 'quic_direct', attempt: 'initial', total: 2.5 },
  { at: 200_000, os: 'windows', type: 'ice_p2p', attempt: 'initial', total: 12 },
  { at: 200_500, os: 'windows', type: 'ice_turn', attempt: 'reconnection', total: 0.002 },
  // No os tag: groups under "unknown". At the range's last millisecond, plus 0.999999 ms.
  { at: CRAFTED_WINDOW_MS, type: 'relay', attempt: 'initial', total: 0.75, extraNs: 999_999n },
  // Just outside the range on both sides.
  { at: CRAFTED_WINDOW_MS + 1, os: 'linux', type: 'relay', attempt: 'initial', total: 3 },
  { at: -1, os: 'linux', type: 'relay', attempt: 'initial', total: 4 },
];

const LOGINS: ReadonlyArray<readonly [number, string, string, number]> = [
  [1_000, '0.59.12', 'success', 0.4],
  [2_000, '0.59.12', 'success', 0.9],
  [3_000, '0.59.12', 'success', 1.2],
  [100_000, '0.61.0', 'failure', 9.5],
  [101_000, '0.61.0', 'success', 0.3],
  [300_000, '0.62.0', 'failure', 30],
  [301_000, '0.62.0', 'failure', 0.25],
  [450_000, '0.60.8', 'success', 0.6],
  [451_000, ODD_VERSION, 'failure', 1.5],
];

const SYNCS: ReadonlyArray<readonly [number, number, string?]> = [
  [5_000, 0.2],
  [120_000, 1.3],
  [121_000, 0.05],
  [500_000, 45],
  [452_000, 0.7, ODD_VERSION],
];

const PHASES: ReadonlyArray<readonly [number, string, number]> = [
  [5_001, 'netbird_config', 0.01],
  [120_001, 'netbird_config', 0.02],
  [5_002, 'checks', 0.005],
  [5_003, 'gamma_phase', 0.1],
  [120_002, 'gamma_phase', 0.3],
  [500_001, 'gamma_phase', 20],
  [5_004, 'zeta_phase', 0.04],
  [500_002, 'zeta_phase', 10],
  [121_001, 'alpha_phase', 0.01],
  [300_001, 'alpha_phase', 0.02],
  [500_003, 'beta_phase', 5],
];

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

/** The hand-made samples, the window starting at `t0`. */
export function craftedSamples(t0: number): Sample[] {
  const agent = (i: number) => ({
    version: i % 2 === 0 ? '0.61.0' : '0.60.8',
    arch: i % 3 === 0 ? 'arm64' : 'amd64',
  });
  const out: Sample[] = CONNECTIONS.map((c, i) => ({
    measurement: 'netbird_peer_connection',
    tags: {
      deployment_type: i % 2 === 0 ? 'cloud' : 'selfhosted',
      connection_type: c.type,
      attempt_type: c.attempt,
      ...agent(i),
      ...(c.os === undefined ? {} : { os: c.os }),
      peer_id: PEER_ID,
      connection_pair_id: `${i}`.padStart(16, 'a'),
    },
    fields: {
      connection_to_wg_handshake_seconds: i % 3 === 0 ? 0 : c.total / 4,
      signaling_to_connection_seconds: c.total / 2,
      total_seconds: c.total,
    },
    timestampNs: ns(t0 + c.at) + (c.extraNs ?? 0n),
  }));
  LOGINS.forEach(([at, version, result, seconds], i) => {
    out.push({
      measurement: 'netbird_login',
      tags: {
        deployment_type: i % 3 === 0 ? 'selfhosted' : 'cloud',
        result,
        version,
        os: i % 2 === 0 ? 'ios' : 'linux',
        arch: 'arm64',
        peer_id: PEER_ID,
      },
      fields: { duration_seconds: seconds },
      timestampNs: ns(t0 + at),
    });
  });
  const syncTags = (i: number) => ({
    deployment_type: i % 2 === 0 ? 'cloud' : 'selfhosted',
    ...agent(i),
    os: i % 2 === 0 ? 'linux' : 'darwin',
    peer_id: PEER_ID,
  });
  SYNCS.forEach(([at, seconds, version], i) => {
    out.push({
      measurement: 'netbird_sync',
      tags: { ...syncTags(i), ...(version === undefined ? {} : { version }) },
      fields: { duration_seconds: seconds },
      timestampNs: ns(t0 + at),
    });
  });
  PHASES.forEach(([at, phase, seconds], i) => {
    out.push({
      measurement: 'netbird_sync_phase',
      tags: { ...syncTags(i), phase },
      fields: { duration_seconds: seconds },
      timestampNs: ns(t0 + at),
    });
  });
  return out;
}

/**
 * Starts the ingest (its embedded store by default, the dashboard's groups limited to
 * {@link MAX_GROUPS}) and pushes both sample sets through it.
 */
export async function startDashboardFixture(
  store: DashboardStore = { kind: 'embedded' },
  /** Values the dashboard holds per load before its percentiles become estimates. */
  maxValues?: number,
): Promise<DashboardFixture> {
  let ingest: TestIngest | undefined;
  const readSamples = (range: Range, signal?: AbortSignal) => {
    const sink = ingest?.server.sink;
    if (!(sink instanceof EmbeddedStore)) return [];
    // The store's upper bound is exclusive, the dashboard's inclusive.
    return sink.readSamples({ from: range.from, to: range.to + 1, signal });
  };
  const influxdbUrl = store.kind === 'influxdb' ? store.writeUrl : '';
  const source = dashboardSourceFromEnv(
    {},
    { influxdbUrl, influxdbToken: '', readSamples, storeDescription: 'fixture' },
  );
  if (source === undefined) throw new Error(`no dashboard for the ${store.kind} store`);
  const handler = createDashboardHandler({
    source,
    limits: {
      ...DEFAULT_PANEL_LIMITS,
      maxGroups: MAX_GROUPS,
      ...(maxValues === undefined ? {} : { maxValues }),
    },
  });
  ingest = await startIngest({ routes: [handler], ...(influxdbUrl ? { influxdbUrl } : {}) });
  // A demo fleet that ends a minute ago, so every sample is inside a range that ends now.
  const fleet = recordDemoFleet({
    peers: 80,
    seed: 13,
    windowMs: 30 * 60_000,
    end: Date.now() - 60_000,
  });
  const t0 = Math.floor((fleet.from - 2 * 86_400_000) / 60_000) * 60_000;
  const crafted = craftedSamples(t0);
  const byPeer = new Map<string, string>();
  for (const s of fleet.samples) {
    const peer = s.tags.peer_id as string;
    byPeer.set(peer, (byPeer.get(peer) ?? '') + lineProtocol([s]));
  }
  for (const [peer, body] of byPeer) await pushBody(ingest.url, body, peer);
  await pushBody(ingest.url, crafted.map(line).join(''), PEER_ID);
  const started = ingest;
  return {
    ingest: started,
    samples: [...fleet.samples, ...crafted],
    demo: { from: fleet.from, to: fleet.to },
    crafted: { from: t0, to: t0 + CRAFTED_WINDOW_MS },
    stop: () => started.stop(),
  };
}

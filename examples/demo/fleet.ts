// The simulated NetBird fleet: who the peers are and what each of them does over a window of
// simulated time (log in, sync, connect to other peers, lose connections and reconnect).
// Pure and seeded: `planFleet` returns the same events for the same options; `runner.ts`
// plays them into real `ClientMetrics` instances.
import type { ConnectionType, SyncPhase } from 'netbird-otel-metrics';
import {
  chance,
  integer,
  type LogNormal,
  logNormal,
  type Random,
  seededRandom,
  split,
  uniform,
  weighted,
  wireguardKey,
} from './distributions.js';

export interface FleetOptions {
  /** Number of peers (NetBird clients). */
  peers: number;
  /** Simulated time the plan covers, in milliseconds. */
  windowMs: number;
  seed: number;
}

export interface PeerProfile {
  readonly index: number;
  /** WireGuard public key (base64); its hash is the peer's `peer_id`. */
  readonly publicKey: string;
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  readonly managementUrl: string;
}

/** Every `at` is milliseconds since the start of the simulated window. */
export type FleetEvent =
  | { kind: 'login'; at: number; peer: number; seconds: number; success: boolean }
  | {
      kind: 'sync';
      at: number;
      peer: number;
      seconds: number;
      phases: ReadonlyArray<readonly [SyncPhase, number]>;
    }
  | {
      kind: 'connection';
      /** When the WireGuard watcher notices the first handshake (the sample's time). */
      at: number;
      peer: number;
      remote: number;
      connectionType: ConnectionType;
      signalingAt: number;
      readyAt: number;
      /** As WireGuard reports it: whole seconds, so possibly before `readyAt`. */
      handshakeAt: number;
    }
  | { kind: 'disconnect'; at: number; peer: number; remote: number };

export interface FleetPlan {
  readonly options: FleetOptions;
  readonly peers: readonly PeerProfile[];
  /** Sorted by `at`; ties keep generation order. */
  readonly events: readonly FleetEvent[];
}

const MOBILE = new Set(['android', 'ios']);

const OS_MIX: ReadonlyArray<readonly [string, number]> = [
  ['linux', 42],
  ['windows', 26],
  ['darwin', 16],
  ['android', 9],
  ['ios', 7],
];

const ARCH_BY_OS: Readonly<Record<string, ReadonlyArray<readonly [string, number]>>> = {
  linux: [
    ['amd64', 70],
    ['arm64', 25],
    ['arm', 5],
  ],
  windows: [
    ['amd64', 95],
    ['arm64', 5],
  ],
  darwin: [
    ['arm64', 80],
    ['amd64', 20],
  ],
  android: [
    ['arm64', 90],
    ['arm', 10],
  ],
  ios: [['arm64', 1]],
};

const VERSION_MIX: ReadonlyArray<readonly [string, number]> = [
  ['0.60.8', 50],
  ['0.59.12', 32],
  ['0.58.2', 18],
];

const MANAGEMENT_MIX: ReadonlyArray<readonly [string, number]> = [
  ['https://api.netbird.io:443', 65],
  ['https://netbird.example.com:33073', 35],
];

/** Desktop peers mostly get direct paths; phones behind carrier NAT mostly get relayed. */
const TYPE_MIX_DESKTOP: ReadonlyArray<readonly [ConnectionType, number]> = [
  ['ice_p2p', 62],
  ['ice_turn', 10],
  ['relay', 28],
];
const TYPE_MIX_MOBILE: ReadonlyArray<readonly [ConnectionType, number]> = [
  ['ice_p2p', 30],
  ['ice_turn', 15],
  ['relay', 55],
];

/** First signal → transport active: ICE needs candidate checks, the relay is one hop. */
const SIGNALING_TO_CONNECTION: Readonly<Record<ConnectionType, LogNormal>> = {
  ice_p2p: { median: 0.9, p95: 3.5 },
  ice_turn: { median: 2.2, p95: 6 },
  relay: { median: 0.35, p95: 1.4 },
};
/** True WireGuard handshake after the transport is active (WireGuard then rounds to seconds). */
const HANDSHAKE: LogNormal = { median: 0.06, p95: 0.35 };
/** NetBird's WireGuard watcher first checks 30 s after the transport became active. */
const WATCHER_DELAY_MS = 30_000;

const LOGIN_OK_CLOUD: LogNormal = { median: 0.9, p95: 2.8 };
const LOGIN_OK_SELFHOSTED: LogNormal = { median: 0.55, p95: 1.8 };
const LOGIN_FAIL_FAST: LogNormal = { median: 0.25, p95: 0.9 };
const LOGIN_FAIL_TIMEOUT: LogNormal = { median: 9, p95: 25 };
const LOGIN_FAILURE_RATE = 0.08;

const SYNC_FULL: LogNormal = { median: 0.32, p95: 1.6 };
const SYNC_CONFIG_ONLY: LogNormal = { median: 0.04, p95: 0.18 };
const SYNC_MEAN_INTERVAL_MS = 6 * 60_000;
const CONFIG_ONLY_SHARE = 0.35;

/** Relative weight of each phase in a full sync (routes and peer changes dominate). */
const PHASE_WEIGHTS: Readonly<Record<SyncPhase, number>> = {
  netbird_config: 1,
  checks: 0.5,
  persist: 1.5,
  dns_server: 2,
  routes_classify: 0.5,
  routes_apply: 3,
  filtering: 2.5,
  dns_forwarder: 0.5,
  forward_rules: 0.5,
  offline_peers: 0.3,
  removed_peers: 0.3,
  modified_peers: 1,
  added_peers: 3,
  lazy_exclude: 0.2,
};
const FULL_PHASES = Object.keys(PHASE_WEIGHTS) as SyncPhase[];
/** A sync without a network map stops after these: later phases are never reached. */
const CONFIG_ONLY_PHASES: readonly SyncPhase[] = ['netbird_config', 'checks', 'persist'];
/** The rest of a sync is lock waits and bookkeeping outside any phase. */
const PHASE_SHARE_OF_SYNC = 0.9;

const RECONNECT_RATE = 0.18;
const LONG_RECONNECT_RATE = 0.04;
const RECONNECT_BACKOFF: LogNormal = { median: 3, p95: 20 };
const LONG_RECONNECT: LogNormal = { median: 90, p95: 400 };
const RECONNECT_SLOWDOWN = 1.8;

export function validateFleetOptions(o: FleetOptions): void {
  if (!Number.isInteger(o.peers) || o.peers < 2 || o.peers > 100_000) {
    throw new RangeError(`peers must be an integer from 2 to 100000, got ${o.peers}`);
  }
  if (!(o.windowMs >= 60_000) || o.windowMs > 7 * 24 * 3_600_000) {
    throw new RangeError(`the simulated window must be 1 minute to 7 days, got ${o.windowMs} ms`);
  }
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
}

export function planFleet(options: FleetOptions): FleetPlan {
  validateFleetOptions(options);
  const random = seededRandom(options.seed);
  const peers = Array.from({ length: options.peers }, (_, index) => makePeer(random, index));
  const events: FleetEvent[] = [];
  const window = options.windowMs;

  // Peers come online over the first 70% of the window; a third of them in an early burst,
  // as after a management upgrade or the start of a working day.
  const readyAt = peers.map((peer) => {
    const online = chance(random, 0.33)
      ? uniform(random, 0, 0.05 * window)
      : uniform(random, 0, 0.7 * window);
    return planSession(random, peer, online, window, events);
  });

  for (const [a, b] of pickPairs(random, peers.length)) {
    const start = Math.max(
      readyAt[a] ?? Number.POSITIVE_INFINITY,
      readyAt[b] ?? Number.POSITIVE_INFINITY,
    );
    if (!(start < window)) continue;
    planPair(random, peers, a, b, start + uniform(random, 50, 1500), window, events);
  }

  // A stable sort keeps each peer's own events in the order they were generated.
  events.sort((x, y) => x.at - y.at);
  return { options, peers, events };
}

function makePeer(random: Random, index: number): PeerProfile {
  const os = weighted(random, OS_MIX);
  return {
    index,
    publicKey: wireguardKey(random),
    version: weighted(random, VERSION_MIX),
    os,
    arch: weighted(random, ARCH_BY_OS[os] ?? [['amd64', 1]]),
    managementUrl: weighted(random, MANAGEMENT_MIX),
  };
}

/** Logins (with failures and retries), then a full sync and periodic syncs. Returns when the peer can connect. */
function planSession(
  random: Random,
  peer: PeerProfile,
  online: number,
  window: number,
  events: FleetEvent[],
): number {
  const cloud = peer.managementUrl.includes('api.netbird.io');
  let t = online;
  // At most three failed attempts, then the fourth succeeds: a fleet converges.
  for (let attempt = 0; attempt < 4; attempt++) {
    const fails = attempt < 3 && chance(random, LOGIN_FAILURE_RATE);
    const seconds = fails
      ? Math.min(30, logNormal(random, chance(random, 0.5) ? LOGIN_FAIL_FAST : LOGIN_FAIL_TIMEOUT))
      : logNormal(random, cloud ? LOGIN_OK_CLOUD : LOGIN_OK_SELFHOSTED);
    t += seconds * 1000;
    if (t >= window) return Number.POSITIVE_INFINITY;
    events.push({ kind: 'login', at: t, peer: peer.index, seconds, success: !fails });
    if (!fails) break;
    t += uniform(random, 2_000, 10_000); // retry back-off
  }
  let first = true;
  let connectable = Number.POSITIVE_INFINITY;
  while (t < window) {
    const configOnly = !first && chance(random, CONFIG_ONLY_SHARE);
    const seconds = Math.min(120, logNormal(random, configOnly ? SYNC_CONFIG_ONLY : SYNC_FULL));
    const phases = configOnly ? CONFIG_ONLY_PHASES : FULL_PHASES;
    const shares = split(
      random,
      seconds * PHASE_SHARE_OF_SYNC,
      phases.map((p) => PHASE_WEIGHTS[p]),
    );
    t += seconds * 1000;
    if (t >= window) break;
    events.push({
      kind: 'sync',
      at: t,
      peer: peer.index,
      seconds,
      phases: phases.map((p, i) => [p, shares[i] ?? 0] as const),
    });
    if (first) connectable = t;
    first = false;
    t += -Math.log(1 - random()) * SYNC_MEAN_INTERVAL_MS;
  }
  return connectable;
}

/** Each peer links to 2–6 others; pairs are unordered and unique. */
function pickPairs(random: Random, n: number): Array<readonly [number, number]> {
  const seen = new Set<string>();
  const pairs: Array<readonly [number, number]> = [];
  for (let a = 0; a < n; a++) {
    const degree = integer(random, 2, 6);
    for (let k = 0; k < degree; k++) {
      let b = integer(random, 0, n - 2);
      if (b >= a) b++;
      const key = a < b ? `${a}:${b}` : `${b}:${a}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push(a < b ? [a, b] : [b, a]);
    }
  }
  return pairs;
}

/** A connection between a and b, seen from both ends, then maybe a drop and a reconnection. */
function planPair(
  random: Random,
  peers: readonly PeerProfile[],
  a: number,
  b: number,
  signaling: number,
  window: number,
  events: FleetEvent[],
): void {
  const mobile = MOBILE.has(peers[a]?.os ?? '') || MOBILE.has(peers[b]?.os ?? '');
  const mix = mobile ? TYPE_MIX_MOBILE : TYPE_MIX_DESKTOP;
  let type = weighted(random, mix);
  const first = logNormal(random, SIGNALING_TO_CONNECTION[type]);
  const recordedAt = planAttempt(random, a, b, type, signaling, first, window, events);
  if (recordedAt === undefined || !chance(random, RECONNECT_RATE)) return;

  // Both transports went down (network change, sleep): the next attempt is a reconnection,
  // slower than a first one, sometimes very slow (ICE retrying for minutes), and sometimes
  // over a different transport.
  const down = uniform(random, recordedAt, window);
  events.push({ kind: 'disconnect', at: down, peer: a, remote: b });
  events.push({ kind: 'disconnect', at: down, peer: b, remote: a });
  if (chance(random, 0.4)) type = weighted(random, mix);
  const toConnection = chance(random, LONG_RECONNECT_RATE)
    ? logNormal(random, LONG_RECONNECT)
    : logNormal(random, SIGNALING_TO_CONNECTION[type]) * RECONNECT_SLOWDOWN;
  const again = down + logNormal(random, RECONNECT_BACKOFF) * 1000;
  planAttempt(random, a, b, type, again, Math.min(toConnection, 3_600), window, events);
}

/** One attempt on both ends; returns when the later end records it, or undefined past the window. */
function planAttempt(
  random: Random,
  a: number,
  b: number,
  connectionType: ConnectionType,
  signaling: number,
  toConnectionSeconds: number,
  window: number,
  events: FleetEvent[],
): number | undefined {
  const handshake = logNormal(random, HANDSHAKE) + (connectionType === 'relay' ? 0.04 : 0);
  let latest: number | undefined;
  for (const [peer, remote] of [
    [a, b],
    [b, a],
  ] as const) {
    // The two ends see the same exchange a few milliseconds apart.
    const signalingAt = signaling + uniform(random, 0, 40);
    const readyAt = signalingAt + toConnectionSeconds * 1000 + uniform(random, 0, 30);
    const handshakeAt = Math.floor((readyAt + handshake * 1000) / 1000) * 1000;
    const at = readyAt + WATCHER_DELAY_MS + uniform(random, 0, 1000);
    if (at >= window) return undefined;
    events.push({
      kind: 'connection',
      at,
      peer,
      remote,
      connectionType,
      signalingAt,
      readyAt,
      handshakeAt,
    });
    latest = Math.max(latest ?? at, at);
  }
  return latest;
}

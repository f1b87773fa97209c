// Realistic NetBird samples for the benchmarks: what a fleet of clients records in a day, with
// the tag values, field magnitudes and measurement mix of real use. Deterministic (seeded, with
// the demo fleet's random source), so every run measures the same data.
import { chance, seededRandom, uniform } from '../../examples/demo/distributions.js';
import { peerId } from '../../src/instrumentation/identifiers.js';
import { type Sample, SYNC_PHASES } from '../../src/protocol/schema.js';

const VERSIONS = ['0.36.7', '0.38.2', '0.40.1', '0.41.0', 'development'];
const OSES = ['linux', 'linux', 'linux', 'windows', 'darwin', 'android', 'ios'];
const ARCHES = ['amd64', 'amd64', 'arm64', 'arm'];
const DEPLOYMENTS = ['cloud', 'selfhosted', 'selfhosted'];
const CONNECTION_TYPES = ['ice_p2p', 'ice_p2p', 'ice_turn', 'relay'];

interface Peer {
  readonly deployment_type: string;
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  readonly peer_id: string;
}

export interface RealisticSamplesOptions {
  seed?: number;
  /** Distinct peers the samples come from. */
  peers?: number;
  /** Timestamp of the first sample; later ones follow at about 1 ms apart. */
  startNs?: bigint;
}

/**
 * `count` samples in the mix a client records: a sync brings a sync sample plus its phases
 * (most lines), connections come next, logins are rare. Durations have the resolution the
 * client measures them with: milliseconds for connection stages (from epoch-ms stage times),
 * nanoseconds for sync and its phases (Go durations), so numbers have realistic lengths.
 */
export function realisticSamples(count: number, options: RealisticSamplesOptions = {}): Sample[] {
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const peerCount = options.peers ?? 2_000;
  const peers: Peer[] = [];
  for (let i = 0; i < peerCount; i++) {
    peers.push({
      deployment_type: pick(DEPLOYMENTS),
      version: pick(VERSIONS),
      os: pick(OSES),
      arch: pick(ARCHES),
      peer_id: peerId(`peer-${i}`),
    });
  }
  const ms = (min: number, max: number) => Math.round(uniform(random, min, max) * 1000) / 1000;
  const ns = (min: number, max: number) => Math.round(uniform(random, min, max) * 1e9) / 1e9;
  let t = options.startNs ?? 1_795_000_000_000_000_000n;
  const samples: Sample[] = [];
  while (samples.length < count) {
    const peer = pick(peers);
    const agent = {
      deployment_type: peer.deployment_type,
      version: peer.version,
      os: peer.os,
      arch: peer.arch,
      peer_id: peer.peer_id,
    };
    const kind = random();
    const next = (): bigint => {
      t += 1_000_000n + BigInt(Math.floor(random() * 1_000_000));
      return t;
    };
    if (kind < 0.3) {
      const signaling = ms(0.05, 3);
      const handshake = ms(0.001, 1.5);
      const remote = pick(peers);
      samples.push({
        measurement: 'netbird_peer_connection',
        tags: {
          deployment_type: peer.deployment_type,
          connection_type: pick(CONNECTION_TYPES),
          attempt_type: chance(random, 0.7) ? 'initial' : 'reconnection',
          version: peer.version,
          os: peer.os,
          arch: peer.arch,
          peer_id: peer.peer_id,
          // The same 16-hex hash over both ids, unordered (not connectionPairId): kept as the
          // benchmarks have always generated it, so their data stays the same.
          connection_pair_id: peerId(peer.peer_id + remote.peer_id),
        },
        fields: {
          connection_to_wg_handshake_seconds: handshake,
          signaling_to_connection_seconds: signaling,
          total_seconds: Math.round((signaling + handshake) * 1000) / 1000,
        },
        timestampNs: next(),
      });
    } else if (kind < 0.95) {
      samples.push({
        measurement: 'netbird_sync',
        tags: agent,
        fields: { duration_seconds: ns(0.01, 2) },
        timestampNs: next(),
      });
      for (const phase of SYNC_PHASES) {
        if (samples.length >= count) break;
        samples.push({
          measurement: 'netbird_sync_phase',
          tags: { ...agent, phase },
          fields: { duration_seconds: ns(0.000001, 0.2) },
          timestampNs: next(),
        });
      }
    } else {
      samples.push({
        measurement: 'netbird_login',
        tags: {
          deployment_type: peer.deployment_type,
          result: chance(random, 0.9) ? 'success' : 'failure',
          version: peer.version,
          os: peer.os,
          arch: peer.arch,
          peer_id: peer.peer_id,
        },
        fields: { duration_seconds: ms(0.2, 4) },
        timestampNs: next(),
      });
    }
  }
  return samples.slice(0, count);
}

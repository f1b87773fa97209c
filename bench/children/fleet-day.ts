// Child process of benchmark 5 (run with --expose-gc): one client in a network of 100 000 peers
// records a simulated day on an injected clock (connections to every peer, reconnections, syncs
// with their phases, logins) into the timestamped store and real OTel histograms. Prints one JSON
// line: the idle heap, the largest heap after GC during the day (JS heap plus ArrayBuffers), and
// the store's size and bound.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { seededRandom } from '../../examples/demo/distributions.js';
import { ClientMetrics } from '../../src/client/client-metrics.js';
import { ConnectionStages } from '../../src/instrumentation/connection-stages.js';
import { type ConnectionType, SYNC_PHASES } from '../../src/protocol/schema.js';
import { TestReader } from '../../test/helpers/test-reader.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
// The JS heap plus ArrayBuffer memory outside it: the store keeps its lines in Buffers, and
// leaving those out would hide exactly what it holds.
const heapAfterGc = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const PEERS = Number(process.env.FLEET_PEERS ?? 100_000);
const DAY_MS = 24 * 60 * 60 * 1000;
const SYNC_EVERY_MS = 15_000;
const TYPES: readonly ConnectionType[] = ['ice_p2p', 'ice_p2p', 'ice_turn', 'relay'];

const start = Date.UTC(2026, 10, 1);
let now = start;
const clock = () => now;
const random = seededRandom(11);
const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
const metrics = new ClientMetrics({
  version: '0.40.1',
  managementUrl: 'https://api.netbird.io:443',
  publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
  meterProvider: provider,
  env: {}, // no NB_METRICS_* from the shell: nothing is pushed while measuring
  clock,
});
const remoteKey = (i: number) => `cGVlci0${i.toString(36).padStart(8, '0')}LXdpcmVndWFyZC1rZXk=`;
await reader.collect();
const idle = heapAfterGc();

// Events of the day, in time order: every peer connects once at a random time, a third of them
// reconnect later; syncs run every 15 s with all phases; a login every 6 hours.
interface Event {
  at: number;
  kind: 0 | 1 | 2 | 3;
  peer: number;
}
const events: Event[] = [];
for (let p = 0; p < PEERS; p++) {
  events.push({ at: start + random() * DAY_MS, kind: 0, peer: p });
  if (random() < 0.33) events.push({ at: start + random() * DAY_MS, kind: 1, peer: p });
}
for (let t = start; t < start + DAY_MS; t += SYNC_EVERY_MS)
  events.push({ at: t, kind: 2, peer: 0 });
for (let t = start; t < start + DAY_MS; t += 6 * 3600_000) events.push({ at: t, kind: 3, peer: 0 });
events.sort((a, b) => a.at - b.at);
const eventHeap = heapAfterGc() - idle;

let peak = 0;
let maxStored = 0;
let nextCheck = start + 3600_000;
let recorded = 0;
for (const e of events) {
  now = e.at;
  if (e.kind <= 1) {
    const stages = new ConnectionStages({ now: clock });
    if (e.kind === 1) stages.disconnected();
    stages.signalingReceived(now - 4_000);
    stages.connectionReady(now - 4_000 + Math.round(50 + random() * 3_000));
    stages.wgHandshake(now);
    const type = TYPES[Math.floor(random() * TYPES.length)] as ConnectionType;
    if (metrics.recordConnection(stages, type, remoteKey(e.peer))) recorded++;
  } else if (e.kind === 2) {
    if (metrics.recordSync(0.05 + random() * 0.5)) recorded++;
    for (const phase of SYNC_PHASES) {
      if (metrics.recordSyncPhase(phase, random() * 0.05)) recorded++;
    }
  } else if (metrics.recordLogin(0.3 + random() * 2, random() < 0.95)) recorded++;
  maxStored = Math.max(maxStored, metrics.store.size);
  if (now >= nextCheck) {
    nextCheck += 3600_000;
    await reader.collect(); // what an exporter does every interval; keeps OTel state honest
    peak = Math.max(peak, heapAfterGc() - eventHeap);
  }
}
await reader.collect();
peak = Math.max(peak, heapAfterGc() - eventHeap);
const stats = metrics.stats();
await provider.shutdown();
process.stdout.write(
  `${JSON.stringify({
    peers: PEERS,
    events: events.length,
    recorded,
    rejected: stats.rejectedBySchema,
    idleHeap: idle,
    peakHeap: peak,
    stored: metrics.store.size,
    maxStored,
    maxSamples: metrics.store.maxSamples,
    droppedBySize: stats.droppedBySize,
  })}\n`,
);

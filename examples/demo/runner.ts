// Plays a fleet plan into real `ClientMetrics` instances, one per peer, in compressed time: the
// plan's simulated window passes in `durationMs` of wall time, and every sample is stamped with
// the simulated time of its event, so the run ends at "now" with the window behind it.
import { type ClientMetrics, ConnectionStages } from 'netbird-otel-metrics';
import type { FleetEvent, FleetPlan } from './fleet.js';

/** The simulated wall clock every peer's `ClientMetrics` reads (epoch milliseconds). */
export class SimClock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  /** Time only moves forward, as the store's timestamps do. */
  advanceTo(t: number): void {
    if (t > this.#now) this.#now = t;
  }
}

export interface FleetTally {
  /** Events played so far, and of how many. */
  played: number;
  total: number;
  peersOnline: number;
  /** Samples the clients accepted, by measurement. */
  logins: number;
  loginFailures: number;
  syncs: number;
  syncPhases: number;
  connections: number;
  reconnections: number;
  /** Recordings the clients refused (should stay 0: the plan only makes valid events). */
  refused: number;
}

export interface RunOptions {
  /** Wall time the window is played in. */
  durationMs: number;
  /** How often events are released and progress is reported. */
  tickMs?: number;
  onTick?: (tally: Readonly<FleetTally>, elapsedMs: number) => void;
  signal?: AbortSignal;
}

/** Anchors a window so that it ends at `endAt` (a whole second). */
export function windowStart(endAt: number, windowMs: number): number {
  return Math.floor((endAt - windowMs) / 1000) * 1000;
}

export class FleetPlayer {
  readonly tally: FleetTally;
  readonly #plan: FleetPlan;
  readonly #clients: readonly ClientMetrics[];
  readonly #clock: SimClock;
  /** Epoch ms the simulated window starts at (whole seconds: WireGuard reports seconds). */
  readonly #simStart: number;
  /** Stages per (peer, remote): one object per connection, reused across reconnections. */
  readonly #stages = new Map<string, ConnectionStages>();
  readonly #online = new Set<number>();
  #next = 0;

  readonly #onPeerOnline: ((client: ClientMetrics) => void) | undefined;

  /** `onPeerOnline` runs when a peer's daemon comes up (its first event), e.g. to start its push. */
  constructor(
    plan: FleetPlan,
    clients: readonly ClientMetrics[],
    clock: SimClock,
    simStart: number,
    onPeerOnline?: (client: ClientMetrics) => void,
  ) {
    if (clients.length !== plan.peers.length) {
      throw new RangeError(
        `${plan.peers.length} peers need as many clients, got ${clients.length}`,
      );
    }
    this.#plan = plan;
    this.#clients = clients;
    this.#clock = clock;
    this.#simStart = simStart;
    this.#onPeerOnline = onPeerOnline;
    this.tally = {
      played: 0,
      total: plan.events.length,
      peersOnline: 0,
      logins: 0,
      loginFailures: 0,
      syncs: 0,
      syncPhases: 0,
      connections: 0,
      reconnections: 0,
      refused: 0,
    };
  }

  get done(): boolean {
    return this.#next >= this.#plan.events.length;
  }

  /** Plays every event up to `offsetMs` into the window. */
  playUntil(offsetMs: number): void {
    const events = this.#plan.events;
    while (this.#next < events.length) {
      const event = events[this.#next] as FleetEvent;
      if (event.at > offsetMs) break;
      this.#clock.advanceTo(this.#simStart + event.at);
      this.#play(event);
      this.#next++;
      this.tally.played++;
    }
  }

  #play(e: FleetEvent): void {
    const client = this.#clients[e.peer] as ClientMetrics;
    const t = this.tally;
    if (client.agentInfo.peerId === '') {
      // As the NetBird daemon does once a management client exists: deployment type
      // from the management URL, peer id from the WireGuard key. Push starts sending now.
      const peer = this.#plan.peers[e.peer];
      if (peer)
        client.updateAgentInfo({ managementUrl: peer.managementUrl, publicKey: peer.publicKey });
      this.#onPeerOnline?.(client);
    }
    switch (e.kind) {
      case 'login':
        this.#count(client.recordLogin(e.seconds, e.success), () => {
          t.logins++;
          if (!e.success) t.loginFailures++;
        });
        if (e.success) this.#online.add(e.peer);
        t.peersOnline = this.#online.size;
        return;
      case 'sync':
        for (const [phase, seconds] of e.phases) {
          this.#count(client.recordSyncPhase(phase, seconds), () => t.syncPhases++);
        }
        this.#count(client.recordSync(e.seconds), () => t.syncs++);
        return;
      case 'connection': {
        const stages = this.#stagesOf(e.peer, e.remote);
        const reconnection = stages.snapshot().isReconnection;
        stages.signalingReceived(this.#simStart + e.signalingAt);
        stages.connectionReady(this.#simStart + e.readyAt);
        stages.wgHandshake(this.#simStart + e.handshakeAt);
        const remoteKey = this.#plan.peers[e.remote]?.publicKey ?? '';
        this.#count(client.recordConnection(stages, e.connectionType, remoteKey), () => {
          t.connections++;
          if (reconnection) t.reconnections++;
        });
        return;
      }
      case 'disconnect':
        this.#stagesOf(e.peer, e.remote).disconnected();
        return;
    }
  }

  #stagesOf(peer: number, remote: number): ConnectionStages {
    const key = `${peer}:${remote}`;
    let stages = this.#stages.get(key);
    if (stages === undefined) {
      stages = new ConnectionStages({ now: this.#clock.now });
      this.#stages.set(key, stages);
    }
    return stages;
  }

  #count(accepted: boolean, onAccepted: () => void): void {
    if (accepted) onAccepted();
    else this.tally.refused++;
  }
}

/**
 * Plays the whole plan over `durationMs` of wall time, releasing events every tick. Resolves
 * with the final tally once every event is played (or the signal aborts).
 */
export async function runFleet(
  player: FleetPlayer,
  windowMs: number,
  options: RunOptions,
): Promise<Readonly<FleetTally>> {
  const tickMs = options.tickMs ?? 250;
  const started = performance.now();
  while (!player.done && !options.signal?.aborted) {
    const elapsed = performance.now() - started;
    const fraction = Math.min(1, elapsed / options.durationMs);
    player.playUntil(fraction === 1 ? Number.POSITIVE_INFINITY : fraction * windowMs);
    options.onTick?.(player.tally, elapsed);
    if (player.done) break;
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return player.tally;
}

// Demo fleet data for tests: the demo's own plan played into real ClientMetrics (no push), so
// tests can write the exact samples to a backend and know what every query must return.
import { createClientMetrics, type StoredSample } from 'netbird-otel-metrics';
import { type FleetPlan, planFleet } from '../../examples/demo/fleet.js';
import { FleetPlayer, SimClock, windowStart } from '../../examples/demo/runner.js';

export interface DemoData {
  plan: FleetPlan;
  /** Every sample of every client, oldest first per client. */
  samples: StoredSample[];
  /** The simulated window, epoch ms. */
  from: number;
  to: number;
}

export function recordDemoFleet(options: {
  peers: number;
  seed: number;
  windowMs: number;
  /** Window end, epoch ms (default now). */
  end?: number;
}): DemoData {
  const plan = planFleet({ peers: options.peers, seed: options.seed, windowMs: options.windowMs });
  const start = windowStart(options.end ?? Date.now(), options.windowMs);
  const clock = new SimClock(start);
  const clients = plan.peers.map((p) =>
    createClientMetrics({ version: p.version, os: p.os, arch: p.arch, clock: clock.now, env: {} }),
  );
  const player = new FleetPlayer(plan, clients, clock, start);
  player.playUntil(Number.POSITIVE_INFINITY);
  if (player.tally.refused > 0) throw new Error(`${player.tally.refused} demo samples refused`);
  const samples = clients.flatMap((c) => c.store.samples());
  return { plan, samples, from: start, to: start + options.windowMs };
}

/** Newline-terminated line protocol of samples. */
export function lineProtocol(samples: readonly StoredSample[]): string {
  return samples.map((s) => `${s.line}\n`).join('');
}

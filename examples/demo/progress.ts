// The demo's progress line. Pure.
import type { FleetTally } from './runner.js';

export interface Progress {
  elapsedMs: number;
  durationMs: number;
  /** Simulated wall time, epoch ms. */
  simTime: number;
  peers: number;
  tally: Readonly<FleetTally>;
  /** Samples the ingest accepted so far, and requests made. */
  pushedSamples: number;
  pushRequests: number;
}

const BAR = 16;

function clock(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatProgress(p: Progress): string {
  const fraction = Math.min(1, p.durationMs > 0 ? p.elapsedMs / p.durationMs : 1);
  const filled = Math.round(fraction * BAR);
  const t = p.tally;
  return [
    `[${(p.elapsedMs / 1000).toFixed(1).padStart(5)}s/${Math.round(p.durationMs / 1000)}s]`,
    `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`,
    `sim ${clock(p.simTime)}`,
    `online ${t.peersOnline}/${p.peers}`,
    `logins ${t.logins} (${t.loginFailures} failed)`,
    `syncs ${t.syncs}`,
    `connections ${t.connections} (${t.reconnections} re)`,
    `pushed ${p.pushedSamples} samples in ${p.pushRequests} requests`,
  ].join('  ');
}

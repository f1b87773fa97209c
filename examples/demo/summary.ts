// What an operator wants to know after the run, computed from the samples the store holds:
// counts, p50/p95/max of each connection stage, sync and login, ICE vs relay per peer pair
// (last sample per `connection_pair_id`, as the dashboards count), and the login success rate.
// Pure; `formatSummary` renders it for the terminal.
import type { Sample } from 'netbird-otel-metrics';
import { computePanels } from 'netbird-otel-metrics/ingest';

export interface Distribution {
  count: number;
  /** Seconds; undefined without samples. */
  p50: number | undefined;
  p95: number | undefined;
  max: number | undefined;
}

export const STAGES = [
  ['signaling_to_connection', 'signaling_to_connection_seconds'],
  ['connection_to_wg_handshake', 'connection_to_wg_handshake_seconds'],
  ['total', 'total_seconds'],
] as const;
export type Stage = (typeof STAGES)[number][0];

export interface DemoSummary {
  /** Samples per measurement. */
  samples: Record<string, number>;
  connections: {
    attempts: number;
    initial: number;
    reconnections: number;
    stages: Record<Stage, Distribution>;
    /** Distinct `connection_pair_id`s. */
    pairs: number;
    /** Pairs by the type of their last connection. */
    pairsByType: Record<string, number>;
  };
  sync: Distribution;
  syncPhases: number;
  login: {
    attempts: number;
    success: number;
    failure: number;
    successRate: number | undefined;
    duration: Distribution;
  };
  /** Reporting peers (distinct `peer_id`). */
  peers: number;
}

/** Linear interpolation between closest ranks (the common "type 7" definition). */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1],
  };
}

export function summarize(samples: readonly Sample[]): DemoSummary {
  const counts: Record<string, number> = {};
  const stageValues: Record<Stage, number[]> = {
    signaling_to_connection: [],
    connection_to_wg_handshake: [],
    total: [],
  };
  const sync: number[] = [];
  const login: number[] = [];
  const peers = new Set<string>();
  const pairs = new Set<string>();
  let initial = 0;
  let reconnections = 0;
  let success = 0;
  let failure = 0;
  for (const s of samples) {
    counts[s.measurement] = (counts[s.measurement] ?? 0) + 1;
    if (s.tags.peer_id) peers.add(s.tags.peer_id);
    switch (s.measurement) {
      case 'netbird_peer_connection':
        for (const [stage, field] of STAGES) {
          const v = s.fields[field];
          if (v !== undefined) stageValues[stage].push(v);
        }
        if (s.tags.attempt_type === 'reconnection') reconnections++;
        else initial++;
        if (s.tags.connection_pair_id) pairs.add(s.tags.connection_pair_id);
        break;
      case 'netbird_sync':
        if (s.fields.duration_seconds !== undefined) sync.push(s.fields.duration_seconds);
        break;
      case 'netbird_login':
        if (s.fields.duration_seconds !== undefined) login.push(s.fields.duration_seconds);
        if (s.tags.result === 'success') success++;
        else failure++;
        break;
    }
  }
  // The dashboards' own computation, so the terminal and the panels agree.
  const panels = computePanels(samples, {
    from: Number.NEGATIVE_INFINITY,
    to: Number.POSITIVE_INFINITY,
  });
  const attempts = initial + reconnections;
  return {
    samples: counts,
    connections: {
      attempts,
      initial,
      reconnections,
      stages: {
        signaling_to_connection: distribution(stageValues.signaling_to_connection),
        connection_to_wg_handshake: distribution(stageValues.connection_to_wg_handshake),
        total: distribution(stageValues.total),
      },
      pairs: pairs.size,
      pairsByType: Object.fromEntries(panels.iceVsRelay.map((s) => [s.label, s.count])),
    },
    sync: distribution(sync),
    syncPhases: counts.netbird_sync_phase ?? 0,
    login: {
      attempts: success + failure,
      success,
      failure,
      successRate: success + failure === 0 ? undefined : success / (success + failure),
      duration: distribution(login),
    },
    peers: peers.size,
  };
}

/** Seconds for people: `812 ms`, `4.1 s`, `3.2 min` (three significant digits). */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  if (seconds < 120) return `${Number(seconds.toPrecision(3))} s`;
  return `${Number((seconds / 60).toPrecision(3))} min`;
}

const pct = (part: number, whole: number) =>
  whole === 0 ? '–' : `${Number(((100 * part) / whole).toPrecision(3))}%`;

function distLine(label: string, d: Distribution): string {
  return `  ${label.padEnd(34)} n=${String(d.count).padEnd(6)} p50 ${formatDuration(d.p50).padEnd(9)} p95 ${formatDuration(d.p95).padEnd(9)} max ${formatDuration(d.max)}`;
}

export function formatSummary(s: DemoSummary, source: string): string {
  const c = s.connections;
  const lines = [
    `Summary (read back from ${source})`,
    `  ${'samples'.padEnd(34)} ${Object.entries(s.samples)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([m, n]) => `${m}=${n}`)
      .join(' ')}`,
    `  ${'reporting peers'.padEnd(34)} ${s.peers}`,
    `  ${'connection attempts'.padEnd(34)} ${c.attempts} (${c.initial} initial, ${c.reconnections} reconnections)`,
    ...STAGES.map(([stage]) => distLine(`stage ${stage}`, c.stages[stage])),
    `  ${'peer pairs'.padEnd(34)} ${c.pairs}, by last connection type: ${Object.entries(
      c.pairsByType,
    )
      .map(([type, n]) => `${type}=${n} (${pct(n, c.pairs)})`)
      .join(' ')}`,
    distLine('sync', s.sync),
    `  ${'sync phases'.padEnd(34)} ${s.syncPhases} samples`,
    distLine('login', s.login.duration),
    `  ${'login success rate'.padEnd(34)} ${pct(s.login.success, s.login.attempts)} (${s.login.success} success, ${s.login.failure} failure)`,
  ];
  return `${lines.join('\n')}\n`;
}

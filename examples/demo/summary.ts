// What an operator wants to know after the run, computed from the samples the store holds:
// counts, then count/p50/p95/p99/max of each connection stage, the total, sync, every sync
// phase and login (percentiles as InfluxQL's PERCENTILE computes them, the ingest's
// `quantiles`), ICE vs relay per peer pair (last sample per `connection_pair_id`, as the
// dashboards count), and the login success rate. Pure; `formatSummary` renders it for the terminal.
import { type Sample, SYNC_PHASES } from 'netbird-otel-metrics';
import { computePanels, type Quantiles, quantiles } from 'netbird-otel-metrics/ingest';

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
    stages: Record<Stage, Quantiles>;
    /** Distinct `connection_pair_id`s. */
    pairs: number;
    /** Pairs by the type of their last connection. */
    pairsByType: Record<string, number>;
  };
  sync: Quantiles;
  /** Per `phase` tag: the known phases in the order a sync runs them, then any other by name. */
  syncPhases: ReadonlyArray<readonly [phase: string, durations: Quantiles]>;
  login: {
    attempts: number;
    success: number;
    failure: number;
    successRate: number | undefined;
    duration: Quantiles;
  };
  /** Reporting peers (distinct `peer_id`). */
  peers: number;
}

/** Phases as a sync runs them; a newer client's phase (open vocabulary) follows, by name. */
function phaseOrder(phases: Iterable<string>): string[] {
  const known: readonly string[] = SYNC_PHASES;
  const rank = (p: string) => (known.includes(p) ? known.indexOf(p) : known.length);
  return [...phases].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function summarize(samples: readonly Sample[]): DemoSummary {
  const counts: Record<string, number> = {};
  const stageValues: Record<Stage, number[]> = {
    signaling_to_connection: [],
    connection_to_wg_handshake: [],
    total: [],
  };
  const sync: number[] = [];
  const phases = new Map<string, number[]>();
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
      case 'netbird_sync_phase': {
        const v = s.fields.duration_seconds;
        const phase = s.tags.phase ?? '';
        if (v === undefined) break;
        const values = phases.get(phase);
        if (values) values.push(v);
        else phases.set(phase, [v]);
        break;
      }
      case 'netbird_login':
        if (s.fields.duration_seconds !== undefined) login.push(s.fields.duration_seconds);
        if (s.tags.result === 'success') success++;
        else failure++;
        break;
    }
  }
  // The dashboards' own computation, so the terminal and the panels agree; over the samples'
  // own time span, since the dashboard divides its range into time buckets.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    if (s.timestampNs === undefined) continue;
    const t = Number(s.timestampNs / 1_000_000n);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const panels = computePanels(
    samples,
    first <= last ? { from: first, to: last } : { from: 0, to: 0 },
  );
  const attempts = initial + reconnections;
  return {
    samples: counts,
    connections: {
      attempts,
      initial,
      reconnections,
      stages: {
        signaling_to_connection: quantiles(stageValues.signaling_to_connection),
        connection_to_wg_handshake: quantiles(stageValues.connection_to_wg_handshake),
        total: quantiles(stageValues.total),
      },
      pairs: pairs.size,
      pairsByType: Object.fromEntries(panels.iceVsRelay.map((s) => [s.label, s.count])),
    },
    sync: quantiles(sync),
    syncPhases: phaseOrder(phases.keys()).map((p) => [p, quantiles(phases.get(p) ?? [])] as const),
    login: {
      attempts: success + failure,
      success,
      failure,
      successRate: success + failure === 0 ? undefined : success / (success + failure),
      duration: quantiles(login),
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

function distLine(label: string, d: Quantiles): string {
  const at = (name: string, seconds: number | undefined) =>
    `${name} ${formatDuration(seconds).padEnd(9)}`;
  return `  ${label.padEnd(34)} n=${String(d.count).padEnd(6)} ${at('p50', d.p50)} ${at('p95', d.p95)} ${at('p99', d.p99)} max ${formatDuration(d.max)}`;
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
    ...s.syncPhases.map(([phase, d]) => distLine(`sync phase ${phase}`, d)),
    distLine('login', s.login.duration),
    `  ${'login success rate'.padEnd(34)} ${pct(s.login.success, s.login.attempts)} (${s.login.success} success, ${s.login.failure} failure)`,
  ];
  return `${lines.join('\n')}\n`;
}

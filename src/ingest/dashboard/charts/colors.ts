// Every colour the dashboard uses, in one place: fixed category colours (a transport, a login
// result), and thresholds that say how good a number is. Thresholds are fixed, never scaled to
// the data, so a slow value is never green however slow the rest is; they are the ones the
// Grafana dashboards use, so both tell the same story.
import { OTHER_LABEL } from '../top-counts.js';

export const GOOD = '#73bf69';
export const WARN = '#fade2a';
export const BAD = '#f2495c';
/** Numbers that are neither good nor bad (counts, a p50 line). */
export const NEUTRAL = '#5794f2';
export const MUTED = '#8e919c';

/**
 * Where a number turns from good to warning and from warning to bad: a value below `warn` is
 * good, one from `warn` below `bad` is a warning, and one from `bad` up is bad.
 */
export interface Threshold {
  readonly warn: number;
  readonly bad: number;
  /** What the numbers are: durations in seconds or ratios 0–1. */
  readonly unit: 'seconds' | 'ratio';
}

/**
 * Connections: a peer is usable within a second on a direct path, a few seconds through a relay;
 * beyond 5 s users notice. Syncs run on every management update, so half a second is already
 * slow and 2 s stalls the client. A single phase is a small part of a sync. Logins include a
 * round trip to the identity provider: 2 s and 10 s. Failure rates above 5 % mean something is
 * broken for some users; relay shares above 20 % mean NAT traversal fails often.
 */
export const THRESHOLDS = {
  connection: { warn: 1, bad: 5, unit: 'seconds' },
  sync: { warn: 0.5, bad: 2, unit: 'seconds' },
  syncPhase: { warn: 0.1, bad: 0.5, unit: 'seconds' },
  login: { warn: 2, bad: 10, unit: 'seconds' },
  failureRate: { warn: 0.05, bad: 0.2, unit: 'ratio' },
  relayShare: { warn: 0.2, bad: 0.5, unit: 'ratio' },
} as const satisfies Record<string, Threshold>;

export type ThresholdKind = keyof typeof THRESHOLDS;

export type Verdict = 'good' | 'warn' | 'bad';

/** How good `value` is; undefined for no value. */
export function verdict(
  kind: ThresholdKind,
  value: number | null | undefined,
): Verdict | undefined {
  if (value === null || value === undefined || !Number.isFinite(value)) return undefined;
  const t: Threshold = THRESHOLDS[kind];
  return value >= t.bad ? 'bad' : value >= t.warn ? 'warn' : 'good';
}

const VERDICT_COLORS: Readonly<Record<Verdict, string>> = { good: GOOD, warn: WARN, bad: BAD };

/** The colour of `value` by its threshold; muted grey without a value. */
export function thresholdColor(kind: ThresholdKind, value: number | null | undefined): string {
  const v = verdict(kind, value);
  return v === undefined ? MUTED : VERDICT_COLORS[v];
}

/** Grafana's classic palette for categories, so the built-in and Grafana dashboards look alike. */
const CATEGORY_COLORS: Readonly<Record<string, string>> = {
  ice_p2p: GOOD,
  ice_turn: WARN,
  relay: NEUTRAL,
  success: GOOD,
  failure: BAD,
  [OTHER_LABEL]: MUTED,
};
const FALLBACK_COLORS = ['#ff9830', '#b877d9', '#8ab8ff', '#ffb357', '#ca95e5'];

/** A category's fixed colour, or the `index`th of a few others. */
export function colorFor(label: string, index: number): string {
  return CATEGORY_COLORS[label] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length] ?? MUTED;
}

/** Colours of series that are not categories (percentile lines, sync phases), in order. */
export const SERIES_COLORS = [
  '#8ab8ff',
  '#5794f2',
  '#b877d9',
  '#ff9830',
  '#37872d',
  '#fade2a',
  '#ca95e5',
  '#c4162a',
  '#96d98d',
  '#ffb357',
  '#1f60c4',
  '#e0b400',
  '#8f3bb8',
  '#73bf69',
] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] as string;
}

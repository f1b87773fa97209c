// The shape of one benchmark's outcome, how it is judged against its target, and how it prints.
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  label: string;
  value: number;
  unit: string;
}

export interface Target {
  /** The ratio must be at least (`>=`) or at most (`<=`) `value`. */
  comparison: '>=' | '<=';
  value: number;
}

export interface BenchResult {
  id: number;
  title: string;
  /** Absolute figures for our side and the anchor, as measured in this run. */
  figures: Figure[];
  ratio: number;
  /** What the ratio divides, e.g. "Point time / our time". */
  ratioMeaning: string;
  target: Target;
  pass: boolean;
  notes: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1-minute load average when the run started: above the core count, figures are noisy. */
  loadAverage: number;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function meets(ratio: number, target: Target): boolean {
  return target.comparison === '>=' ? ratio >= target.value : ratio <= target.value;
}

export function result(fields: Omit<BenchResult, 'pass'>): BenchResult {
  return { ...fields, pass: meets(fields.ratio, fields.target) };
}

function formatNumber(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function formatResult(r: BenchResult): string {
  const lines = [
    `(${r.id}) ${r.title}`,
    ...r.figures.map(
      (f) => `    ${f.label.padEnd(58)} ${formatNumber(f.value).padStart(14)} ${f.unit}`,
    ),
    `    ratio ${r.ratio.toFixed(2)} (${r.ratioMeaning}); target ${r.target.comparison} ${r.target.value}  ${r.pass ? 'PASS' : 'MISS'}`,
    ...r.notes.map((n) => `    note: ${n}`),
  ];
  return lines.join('\n');
}

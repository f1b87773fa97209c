import { describe, expect, it } from 'vitest';
import {
  linearScale,
  logScale,
  timeGrid,
  valueScale,
} from '../../src/ingest/dashboard/charts/axis.js';
import { breakdownChart } from '../../src/ingest/dashboard/charts/breakdown.js';
import {
  BAD,
  GOOD,
  MUTED,
  THRESHOLDS,
  type ThresholdKind,
  thresholdColor,
  verdict,
  WARN,
} from '../../src/ingest/dashboard/charts/colors.js';
import { bandLabel, cellOpacity, heatmapChart } from '../../src/ingest/dashboard/charts/heatmap.js';
import { quantileLinesChart } from '../../src/ingest/dashboard/charts/lines.js';
import { pointsChart } from '../../src/ingest/dashboard/charts/points.js';
import { stackedPhasesChart } from '../../src/ingest/dashboard/charts/stacked.js';
import { stagesChart } from '../../src/ingest/dashboard/charts/stages.js';
import { statChart } from '../../src/ingest/dashboard/charts/stat.js';
import { formatBound, formatRatio } from '../../src/ingest/dashboard/format.js';
import {
  type Distribution,
  HEATMAP_BOUNDS_SECONDS,
  type TimeBuckets,
} from '../../src/ingest/dashboard/insights.js';
import { quantiles } from '../../src/ingest/dashboard/quantiles.js';

/** A tick label's number and unit, or undefined when it is not `<number> <unit>` or `0`. */
function parseTick(label: string): { n: number; unit: string } | undefined {
  if (label === '0') return { n: 0, unit: '' };
  const m = /^(\d+(?:\.\d+)?) (ms|s|min)$/.exec(label);
  return m ? { n: Number(m[1]), unit: m[2] as string } : undefined;
}

/** Whether `n` is 1, 2 or 5 times a power of ten. */
function oneTwoFive(n: number): boolean {
  const mantissa = n / 10 ** Math.floor(Math.log10(n) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9);
}

const maxima = Array.from({ length: 121 }, (_, i) => 10 ** (-4 + i / 15));

describe('duration axes', () => {
  it('linear ticks are 0 and equal 1-2-5 steps of one unit, the last at or above the maximum', () => {
    for (const max of maxima) {
      const scale = linearScale(max, 100);
      const ticks = scale.ticks.map((t) => parseTick(t.label));
      expect(
        ticks.every((t) => t !== undefined),
        `${max}: ${scale.ticks.map((t) => t.label)}`,
      ).toBe(true);
      const units = new Set(ticks.slice(1).map((t) => t?.unit));
      expect(units.size, `${max}`).toBe(1);
      const step = ticks[1]?.n as number;
      expect(oneTwoFive(step), `${max}: step ${step}`).toBe(true);
      ticks.forEach((t, k) => {
        expect(t?.n).toBeCloseTo(k * step, 9);
      });
      expect(scale.top).toBeGreaterThanOrEqual(max * (1 - 1e-9));
      expect(scale.ticks.length).toBeLessThanOrEqual(11);
      expect(scale.map(0)).toBe(100);
      expect(scale.map(scale.top)).toBeCloseTo(0, 9);
    }
  });

  it('never shows a minute count that is not round (the 1000 s case read "16.7 min")', () => {
    expect(linearScale(1000, 100).ticks.map((t) => t.label)).toEqual([
      '0',
      '5 min',
      '10 min',
      '15 min',
      '20 min',
    ]);
    expect(logScale(0.1, 1000, 100).ticks.map((t) => t.label)).toEqual([
      '100 ms',
      '1 s',
      '10 s',
      '1 min',
      '20 min',
    ]);
  });

  it('log ticks are 1-2-5 numbers of ms, s or min, spanning the values', () => {
    for (const lo of maxima.filter((_, i) => i % 5 === 0)) {
      for (const factor of [150, 1e3, 1e5]) {
        const hi = lo * factor;
        const scale = logScale(lo, hi, 100);
        expect(scale.log).toBe(true);
        for (const tick of scale.ticks) {
          const t = parseTick(tick.label);
          expect(t, tick.label).toBeDefined();
          expect(oneTwoFive(t?.n as number), tick.label).toBe(true);
        }
        expect(scale.ticks.length).toBeLessThanOrEqual(7);
        // Neighbouring labels at least a factor 2 apart, so none crowds the next.
        scale.ticks.slice(1).forEach((t, i) => {
          expect(t.v / (scale.ticks[i]?.v as number)).toBeGreaterThanOrEqual(2);
        });
        const first = scale.ticks[0]?.v as number;
        expect(first).toBeLessThanOrEqual(lo);
        expect(scale.top).toBeGreaterThanOrEqual(hi);
        expect(scale.map(first)).toBeCloseTo(100, 9);
        expect(scale.map(scale.top)).toBeCloseTo(0, 9);
      }
    }
  });

  it('is logarithmic when the values span more than two decades', () => {
    expect(valueScale([0.5, 1, 2], 100).log).toBe(false);
    expect(valueScale([0.01, 2], 100).log).toBe(true);
    expect(valueScale([], 100).log).toBe(false);
  });

  it('time ticks lie inside the range it is given', () => {
    const range = { from: 1_700_000_000_000, to: 1_700_000_000_000 + 30 * 60_000 };
    const ts = [...timeGrid(range).matchAll(/data-t="(\d+)"/g)].map((m) => Number(m[1]));
    expect(ts.length).toBeGreaterThanOrEqual(3);
    for (const t of ts) {
      expect(t).toBeGreaterThanOrEqual(range.from);
      expect(t).toBeLessThanOrEqual(range.to);
    }
  });
});

describe('threshold colours', () => {
  it('are good below warn, warn from warn below bad, bad from bad', () => {
    expect(verdict('connection', 0.999)).toBe('good');
    expect(verdict('connection', 1)).toBe('warn');
    expect(verdict('connection', 4.999)).toBe('warn');
    expect(verdict('connection', 5)).toBe('bad');
    expect(verdict('connection', 194.4)).toBe('bad');
    expect(verdict('relayShare', 0.5)).toBe('bad');
    expect(verdict('login', undefined)).toBeUndefined();
    expect(thresholdColor('sync', null)).toBe(MUTED);
  });

  it('never colour a slow value green, whatever the kind', () => {
    for (const kind of Object.keys(THRESHOLDS) as ThresholdKind[]) {
      const t = THRESHOLDS[kind];
      expect(t.warn).toBeLessThan(t.bad);
      for (const v of [t.warn, (t.warn + t.bad) / 2, t.bad, t.bad * 10]) {
        expect(thresholdColor(kind, v), `${kind} ${v}`).not.toBe(GOOD);
      }
      expect(thresholdColor(kind, t.bad)).toBe(BAD);
      expect(thresholdColor(kind, t.warn)).toBe(WARN);
      expect(thresholdColor(kind, t.warn / 2)).toBe(GOOD);
    }
  });

  it('colour the stat values: the slowest connection in minutes is red', () => {
    const html = statChart({ min: 0.2, max: 194.4, count: 2 }, 'attempts', 'connection');
    expect(html).toMatch(new RegExp(`data-stat="max" data-seconds="194.4" style="color:${BAD}"`));
    expect(html).toMatch(new RegExp(`data-stat="min" data-seconds="0.2" style="color:${GOOD}"`));
  });

  it('colour points by threshold', () => {
    const series = {
      points: [
        { t: 1000, v: 0.3 },
        { t: 2000, v: 3 },
        { t: 3000, v: 30 },
      ],
      total: 3,
      selection: 'uniform sample' as const,
    };
    const html = pointsChart(
      series,
      { from: 0, to: 4000 },
      { by: 'threshold', kind: 'connection' },
    );
    expect([...html.matchAll(/<circle class="pt"[^>]*fill="([^"]+)"/g)].map((m) => m[1])).toEqual([
      GOOD,
      WARN,
      BAD,
    ]);
    expect(html).toContain('data-thresholds="connection"');
  });
});

describe('format', () => {
  it('shows band bounds in the unit they are round in', () => {
    expect(HEATMAP_BOUNDS_SECONDS.map(formatBound)).toEqual([
      '1 ms',
      '2 ms',
      '5 ms',
      '10 ms',
      '20 ms',
      '50 ms',
      '100 ms',
      '200 ms',
      '500 ms',
      '1 s',
      '2 s',
      '5 s',
      '10 s',
      '20 s',
      '50 s',
      '100 s',
      '200 s',
      '10 min',
    ]);
    expect(formatRatio(0.25)).toBe('25%');
    expect(formatRatio(0.036)).toBe('3.6%');
    expect(formatRatio(null)).toBe('–');
  });
});

const BUCKETS: TimeBuckets = { start: 0, stepMs: 60_000, count: 4 };
const RANGE = { from: 0, to: 4 * 60_000 - 1 };

describe('heatmap', () => {
  it('draws one cell per non-empty (bucket, band), sparse ones visible', () => {
    const row = () => new Array(HEATMAP_BOUNDS_SECONDS.length + 1).fill(0) as number[];
    const counts = [row(), row(), row(), row()];
    (counts[0] as number[])[9] = 500;
    (counts[2] as number[])[3] = 1;
    (counts[3] as number[])[HEATMAP_BOUNDS_SECONDS.length] = 2;
    const html = heatmapChart({ counts }, BUCKETS, RANGE);
    const cells = [
      ...html.matchAll(
        /class="cell" data-bucket="(\d+)" data-band="(\d+)" data-count="(\d+)"[^>]*fill-opacity="([\d.]+)"/g,
      ),
    ];
    expect(cells.map((c) => [Number(c[1]), Number(c[2]), Number(c[3])])).toEqual([
      [0, 9, 500],
      [2, 3, 1],
      [3, 18, 2],
    ]);
    for (const c of cells) expect(Number(c[4])).toBeGreaterThanOrEqual(0.35);
    expect(cellOpacity(1, 500)).toBeGreaterThanOrEqual(0.35);
    expect(cellOpacity(500, 500)).toBe(1);
    expect(cellOpacity(0, 500)).toBe(0);
    expect(bandLabel(0)).toBe('≤ 1 ms');
    expect(bandLabel(HEATMAP_BOUNDS_SECONDS.length)).toBe('> 10 min');
  });

  it('says "No data" without samples', () => {
    expect(heatmapChart({ counts: [[0, 0]] }, BUCKETS, RANGE)).toContain('No data');
  });
});

function distribution(p50: (number | null)[]): Distribution {
  const values = p50.filter((v): v is number => v !== null);
  return {
    overall: quantiles(values),
    overTime: {
      count: p50.map((v) => (v === null ? 0 : 1)),
      p50,
      p95: p50,
      p99: p50,
    },
  };
}

describe('percentile lines', () => {
  it('break at buckets without a value and mark a lonely value with a dot', () => {
    const html = quantileLinesChart(
      distribution([0.5, 1.6, null, 2]),
      BUCKETS,
      RANGE,
      'connection',
    );
    const p50 = /data-q="p50" d="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(p50.match(/M/g)).toHaveLength(2);
    expect(p50.match(/L/g)).toHaveLength(1);
    expect(html.match(/<circle /g)).toHaveLength(3);
    // On an axis up to 2 s the warn threshold (1 s) is drawn, the bad one (5 s) is not.
    expect(html).toMatch(new RegExp(`class="threshold"[^>]*stroke="${WARN}"`));
    expect(html).not.toMatch(new RegExp(`class="threshold"[^>]*stroke="${BAD}"`));
  });
});

describe('breakdown', () => {
  const breakdown = {
    unit: 'ratio' as const,
    rows: [
      { label: 'linux', value: 0.1, count: 50 },
      { label: '<ios>', value: 0.6, count: 10 },
      { label: 'unknown', value: 0, count: 3 },
      { label: 'other', value: 0.3, count: 7, other: true as const },
    ],
  };

  it('keeps the row order, links rows that can be filtered, escapes labels and links', () => {
    const html = breakdownChart(breakdown, {
      kind: 'relayShare',
      href: (row) =>
        row.other || row.label === 'unknown'
          ? undefined
          : `/d?os=${encodeURIComponent(row.label)}&x="`,
    });
    expect([...html.matchAll(/<tr class="row" data-label="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'linux',
      '&lt;ios&gt;',
      'unknown',
      'other',
    ]);
    expect(html).toContain('href="/d?os=linux&amp;x=&quot;"');
    expect(html).toContain('href="/d?os=%3Cios%3E&amp;x=&quot;"');
    expect(html.match(/<a /g)).toHaveLength(2);
    expect(html).toContain('data-other="1"');
    expect(html).toContain('>60%<');
    expect(html).toMatch(new RegExp(`width:60%;background:${BAD}`));
    expect(html).toMatch(new RegExp(`width:10%;background:${GOOD}`));
    expect(html).not.toContain('<ios>');
  });

  it('formats seconds and counts', () => {
    const seconds = breakdownChart(
      { unit: 'seconds', rows: [{ label: 'relay', value: 2.5, count: 4 }] },
      { kind: 'connection' },
    );
    expect(seconds).toContain('>2.5 s<');
    expect(seconds).toContain(`background:${WARN}`);
    const counts = breakdownChart({
      unit: 'count',
      rows: [{ label: 'initial', value: 1234, count: 1234 }],
    });
    expect(counts).toContain('>1\u202f234<');
  });
});

describe('sync phases over time', () => {
  it('stacks each phase per bucket and draws the whole sync over them', () => {
    const q = quantiles([1]);
    const html = stackedPhasesChart(
      {
        rows: [
          { phase: 'checks', quantiles: q, totalSeconds: 3, shareOfSync: 0.3 },
          { phase: 'persist', quantiles: q, totalSeconds: 1, shareOfSync: 0.1 },
        ],
        secondsOverTime: [
          [1, 0, 2, 0],
          [0.5, 0, 0.5, 0],
        ],
        syncTotalSeconds: 10,
        syncSecondsOverTime: [4, 0, 6, 0],
      },
      BUCKETS,
      RANGE,
    );
    const segs = [
      ...html.matchAll(
        /class="seg" data-phase="([^"]+)" data-bucket="(\d)"[^>]*y="([\d.]+)"[^>]*height="([\d.]+)"/g,
      ),
    ];
    expect(segs.map((s) => [s[1], Number(s[2])])).toEqual([
      ['checks', 0],
      ['persist', 0],
      ['checks', 2],
      ['persist', 2],
    ]);
    // persist sits on top of checks: its bottom edge is checks' top edge.
    const [c0, p0] = segs;
    expect(Number(p0?.[3]) + Number(p0?.[4])).toBeCloseTo(Number(c0?.[3]), 1);
    expect(html).toContain('class="sync-total"');
  });
});

describe('connection stages', () => {
  it('shows p50 and p95 bars with the mean in text', () => {
    const html = stagesChart([
      {
        label: 'Signaling to Connection',
        mean: 1.6,
        count: 3,
        quantiles: quantiles([0.5, 0.8, 3.5]),
      },
    ]);
    expect(html).toContain('data-mean="1.6" data-p50="0.8" data-p95="3.5"');
    expect(html).toContain('mean 1.6 s');
    expect(html).toMatch(/data-q="p95">3.5 s</);
  });
});

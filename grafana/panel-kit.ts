// Grafana panel JSON builders shared by every dashboard: the fields each panel has, the
// visualisations, and colour thresholds that say how good a duration or a rate is (a slow value is
// never drawn green; colours never scale to whatever the largest value happens to be).

export type Json = Record<string, unknown>;

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Threshold steps: the base colour, then `[from, colour]` upwards. */
type Steps = readonly [string, ...Array<readonly [number, string]>];

function thresholds(steps: Steps): Json {
  const [base, ...rest] = steps;
  return {
    mode: 'absolute',
    steps: [{ color: base, value: null }, ...rest.map(([value, color]) => ({ color, value }))],
  };
}

/**
 * What "slow" means per kind of value, in seconds (or a fraction for rates). A connection that
 * takes over a second is noticeable and over five seconds hurts; a sync stalls the client while
 * it runs, so half a second is already long; one sync phase should take well under 100 ms; a
 * login includes a round trip to management (and a user waits on it).
 */
export const THRESHOLDS = {
  connection: thresholds(['green', [1, 'yellow'], [5, 'red']]),
  sync: thresholds(['green', [0.5, 'yellow'], [2, 'red']]),
  syncPhase: thresholds(['green', [0.1, 'yellow'], [0.5, 'red']]),
  login: thresholds(['green', [2, 'yellow'], [10, 'red']]),
  /** Failed logins: a few are typos or expired keys; one in five is an outage. */
  failureRate: thresholds(['green', [0.05, 'yellow'], [0.2, 'red']]),
  /** Relayed connections work but are slower and cost relay capacity. */
  relayShare: thresholds(['green', [0.2, 'yellow'], [0.5, 'red']]),
  /** Counts are neither good nor bad. */
  neutral: thresholds(['blue']),
} as const;

export type ThresholdKind = keyof typeof THRESHOLDS;

const reduceLast = { calcs: ['lastNotNull'], fields: '', values: false };

/** The fields every panel has; the builders below add the visualisation. */
export function panel(
  id: number,
  title: string,
  type: string,
  gridPos: GridPos,
  description: string,
  targets: Json[],
): Json {
  return { id, title, type, gridPos, description, targets };
}

/** Shows a column named `count` (or ending in ` count`) as a plain number in neutral blue. */
const countOverride: Json = {
  matcher: { id: 'byRegexp', options: '^(.* )?count$' },
  properties: [
    { id: 'unit', value: 'short' },
    { id: 'decimals', value: 0 },
    { id: 'thresholds', value: THRESHOLDS.neutral },
  ],
};

/** Values reduced to one number each, coloured by how good they are. */
export function statPanel(p: Json, kind: ThresholdKind, unit = 's', decimals = 2): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: { unit, decimals, color: { mode: 'thresholds' }, thresholds: THRESHOLDS[kind] },
      overrides: [countOverride],
    },
    options: {
      reduceOptions: reduceLast,
      textMode: 'value_and_name',
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'center',
      orientation: 'auto',
    },
  };
}

/** Lines over time; thresholds are drawn as dashed lines, so "slow" is visible on the axis. */
export function linesPanel(
  p: Json,
  kind: ThresholdKind,
  unit = 's',
  overrides: Json[] = [],
  stacked = false,
): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: 'palette-classic' },
        thresholds: THRESHOLDS[kind],
        custom: {
          drawStyle: 'line',
          lineWidth: 2,
          showPoints: 'auto',
          spanNulls: true,
          fillOpacity: stacked ? 60 : 0,
          stacking: { mode: stacked ? 'normal' : 'none', group: 'A' },
          thresholdsStyle: { mode: kind === 'neutral' ? 'off' : 'dashed' },
        },
      },
      overrides,
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** One point per sample (the InfluxQL dashboard's raw plots). */
export function pointsPanel(p: Json, kind: ThresholdKind, overrides: Json[] = []): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit: 's',
        color: { mode: 'palette-classic' },
        thresholds: THRESHOLDS[kind],
        custom: {
          drawStyle: 'points',
          pointSize: 5,
          showPoints: 'always',
          lineWidth: 0,
          thresholdsStyle: { mode: 'dashed' },
        },
      },
      overrides,
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'single' },
    },
  };
}

export function donutPanel(p: Json, overrides: Json[] = [], unit = 'short'): Json {
  return {
    ...p,
    fieldConfig: { defaults: { unit, color: { mode: 'palette-classic' } }, overrides },
    options: {
      pieType: 'donut',
      reduceOptions: reduceLast,
      legend: {
        displayMode: 'table',
        placement: 'right',
        showLegend: true,
        values: ['value', 'percent'],
      },
      tooltip: { mode: 'single' },
    },
  };
}

/**
 * Horizontal bars coloured by the thresholds. With `rowsNamedBy`, the data is a table (one row
 * per group, e.g. the answer of a top-N query) and each bar is named by that column.
 */
export function barGaugePanel(
  p: Json,
  kind: ThresholdKind,
  unit = 's',
  rowsNamedBy?: string,
): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit,
        decimals: unit === 'percentunit' ? 1 : 2,
        min: 0,
        color: { mode: 'thresholds' },
        thresholds: THRESHOLDS[kind],
        ...(rowsNamedBy === undefined ? {} : { displayName: `\${__data.fields.${rowsNamedBy}}` }),
      },
      overrides: [],
    },
    options: {
      displayMode: 'gradient',
      orientation: 'horizontal',
      reduceOptions:
        rowsNamedBy === undefined ? reduceLast : { calcs: [], fields: '', values: true },
      showUnfilled: true,
      valueMode: 'color',
      namePlacement: 'top',
    },
  };
}

/** A table whose duration cells are coloured by the thresholds. */
export function tablePanel(p: Json, kind: ThresholdKind, transformations: Json[] = []): Json {
  return {
    ...p,
    fieldConfig: {
      defaults: {
        unit: 's',
        decimals: 3,
        color: { mode: 'thresholds' },
        thresholds: THRESHOLDS[kind],
        custom: { cellOptions: { type: 'color-text' }, align: 'auto' },
      },
      overrides: [countOverride],
    },
    options: { showHeader: true, cellHeight: 'sm', sortBy: [{ displayName: 'p95', desc: true }] },
    transformations,
  };
}

/**
 * Time × duration buckets, from counts per bucket that the queries compute (Grafana does not
 * bucket raw values itself here): each series is one bucket, named by its upper bound in seconds.
 */
export function heatmapPanel(p: Json): Json {
  return {
    ...p,
    fieldConfig: { defaults: { custom: { scaleDistribution: { type: 'linear' } } }, overrides: [] },
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, steps: 64 },
      yAxis: { axisPlacement: 'left', unit: 's', decimals: 3 },
      rowsFrame: { layout: 'le' },
      cellValues: { unit: 'short' },
      tooltip: { mode: 'single', yHistogram: true, showColorScale: true },
      legend: { show: true },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
      filterValues: { le: 1e-9 },
    },
  };
}

/** Fixed colours for known categories (a transport, a login result): names, not judgements. */
const CATEGORY_COLOURS: ReadonlyArray<readonly [string, string]> = [
  ['ice_p2p', 'green'],
  ['ice_turn', 'yellow'],
  ['relay', 'blue'],
  ['success', 'green'],
  ['failure', 'red'],
];

export function categoryColours(names: readonly string[]): Json[] {
  return CATEGORY_COLOURS.filter(([name]) => names.includes(name)).map(([name, color]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  }));
}

export function refId(i: number): string {
  return String.fromCharCode(65 + i);
}

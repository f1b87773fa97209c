// The numbers the built-in page shows (the percentile table, every breakdown row, the sync phase
// table) against an independent computation from the samples pushed through a real ingest,
// formatted by the page's own formatters. The page is read by its `data-*` attributes and cell
// text only, so a change of layout does not break this, but a wrong number does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBreakdownValue } from '../../src/ingest/dashboard/charts/breakdown.js';
import { formatCount, formatRatio, formatSeconds } from '../../src/ingest/dashboard/format.js';
import { BREAKDOWNS } from '../../src/ingest/dashboard/views/operator-views.js';
import {
  type DashboardFixture,
  MAX_GROUPS,
  ODD_VERSION,
  startDashboardFixture,
} from '../helpers/dashboard-fixture.js';
import {
  fittedRange,
  type Point,
  type Range,
  type RefFilters,
  type RefInsights,
  type RefQuantiles,
  referenceInsights,
  selectPoints,
} from '../helpers/reference-insights.js';

const DAY_MS = 86_400_000;

let fx: DashboardFixture;
beforeAll(async () => {
  fx = await startDashboardFixture();
});
afterAll(async () => {
  await fx?.stop();
});

// --- Reading the page: attributes and text, nothing about layout. ---

const ENTITIES: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-z][\w-]*)="([^"]*)"/g))
    out[m[1] as string] = decode(m[2] ?? '');
  return out;
}

interface Cell {
  readonly attrs: Record<string, string>;
  readonly text: string;
}

interface Row {
  readonly attrs: Record<string, string>;
  readonly cells: readonly Cell[];
}

/** Text of an element's content: tags dropped (an SVG bar has none), entities decoded. */
function textOf(inner: string): string {
  return decode(inner.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<[^>]+>/g, '')).trim();
}

function rows(fragment: string, marker: string): Row[] {
  const out: Row[] = [];
  for (const m of fragment.matchAll(/<tr(\s[^>]*)?>([\s\S]*?)<\/tr>/g)) {
    const attrs = attributes(m[1] ?? '');
    if (attrs[marker] === undefined) continue;
    const cells = [...(m[2] ?? '').matchAll(/<(td|th)(\s[^>]*)?>([\s\S]*?)<\/\1>/g)].map((c) => ({
      attrs: attributes(c[2] ?? ''),
      text: textOf(c[3] ?? ''),
    }));
    out.push({ attrs, cells });
  }
  return out;
}

/** The section of the view (or of the classic panel) `id`; sections do not nest. */
function view(html: string, id: string, role: 'view' | 'panel' = 'view'): string {
  const m = new RegExp(`<section [^>]*data-${role}="${id}"[^>]*>([\\s\\S]*?)</section>`).exec(html);
  expect(m, `the page has the ${role} ${id}`).not.toBeNull();
  return m?.[1] ?? '';
}

function cell(row: Row, q: string): Cell {
  const c = row.cells.find((x) => x.attrs['data-q'] === q);
  expect(c, `a ${q} cell`).toBeDefined();
  return c as Cell;
}

// --- What the page must show. ---

const DISTRIBUTIONS = [
  'connectionTotal',
  'signalingToConnection',
  'connectionToHandshake',
  'sync',
  'login',
] as const;

function expectQuantileCells(row: Row, q: RefQuantiles, names: readonly string[], what: string) {
  for (const name of names) {
    const v = q[name as keyof RefQuantiles];
    const c = cell(row, name);
    expect(c.text, `${what} ${name}`).toBe(formatSeconds(v));
    expect(c.attrs['data-seconds'], `${what} ${name} exact`).toBe(
      v === undefined ? undefined : String(v),
    );
  }
}

function expectPercentileTable(html: string, ref: RefInsights, what: string) {
  const expected: Array<[string, RefQuantiles]> = [
    ...DISTRIBUTIONS.map((k): [string, RefQuantiles] => [k, ref.distributions[k].overall]),
    ...ref.syncPhases.rows.map((r): [string, RefQuantiles] => [`phase:${r.phase}`, r.quantiles]),
  ];
  const total = expected.reduce((n, [, q]) => n + q.count, 0);
  const shown = rows(view(html, 'percentiles'), 'data-dist');
  if (total === 0) {
    expect(shown, `${what}: no percentile rows without data`).toEqual([]);
    return;
  }
  expect(
    shown.map((r) => r.attrs['data-dist']),
    `${what}: percentile rows`,
  ).toEqual(expected.map(([id]) => id));
  for (const [id, q] of expected) {
    const row = shown.find((r) => r.attrs['data-dist'] === id) as Row;
    expect(cell(row, 'count').text, `${what} ${id} count`).toBe(formatCount(q.count));
    expectQuantileCells(row, q, ['p50', 'p95', 'p99', 'max'], `${what} ${id}`);
  }
}

function expectBreakdowns(html: string, ref: RefInsights, what: string) {
  for (const spec of BREAKDOWNS) {
    const expected = ref.breakdowns[spec.key];
    const shown = rows(view(html, spec.id), 'data-label');
    expect(
      shown.map((r) => [
        r.attrs['data-label'],
        Number(r.attrs['data-count']),
        r.attrs['data-other'],
      ]),
      `${what}: ${spec.id} rows`,
    ).toEqual(expected.rows.map((r) => [r.label, r.count, r.other ? '1' : undefined]));
    for (const [i, r] of expected.rows.entries()) {
      const row = shown[i] as Row;
      const texts = row.cells.map((c) => c.text);
      expect(texts[0], `${what}: ${spec.id} ${r.label} label`).toBe(r.label);
      expect(texts, `${what}: ${spec.id} ${r.label} value`).toContain(
        formatBreakdownValue(expected.unit, r.value),
      );
      expect(texts, `${what}: ${spec.id} ${r.label} count`).toContain(formatCount(r.count));
      expect(row.attrs['data-value'], `${what}: ${spec.id} ${r.label} exact`).toBe(
        r.value === null ? undefined : String(r.value),
      );
    }
  }
}

function expectPhaseTable(html: string, ref: RefInsights, what: string) {
  const shown = rows(view(html, 'sync-phases'), 'data-phase');
  expect(
    shown.map((r) => r.attrs['data-phase']),
    `${what}: phase rows`,
  ).toEqual(ref.syncPhases.rows.map((r) => r.phase));
  for (const [i, r] of ref.syncPhases.rows.entries()) {
    const row = shown[i] as Row;
    const label = `${what} phase ${r.phase}`;
    expect(row.cells[0]?.text, `${label} name`).toBe(r.phase);
    expect(Number(row.attrs['data-count']), `${label} count`).toBe(r.quantiles.count);
    expect(
      row.cells.map((c) => c.text),
      `${label} count text`,
    ).toContain(formatCount(r.quantiles.count));
    expectQuantileCells(row, r.quantiles, ['p50', 'p95', 'p99'], label);
    // Shares are sums over sums: equal to within the order the sums were added in.
    expect(cell(row, 'share').text, `${label} share`).toBe(formatRatio(r.shareOfSync));
    const share = row.attrs['data-share'];
    if (r.shareOfSync === null) expect(share, `${label} share`).toBeUndefined();
    else expect(Number(share), `${label} share exact`).toBeCloseTo(r.shareOfSync, 12);
    expect(Number(row.attrs['data-total-seconds']), `${label} seconds`).toBeCloseTo(
      r.totalSeconds,
      9,
    );
  }
}

async function page(query: string): Promise<string> {
  const res = await fetch(`${fx.ingest.url}/dashboard${query ? `?${query}` : ''}`);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return html;
}

function query(range: Range | undefined, filters: RefFilters): string {
  const params = new URLSearchParams(filters);
  if (range) {
    params.set('from', String(range.from));
    params.set('to', String(range.to));
  }
  return params.toString();
}

/** The stage bars of NetBird's panel show p50 and p95 of each stage, the mean in text. */
function expectStages(html: string, ref: RefInsights, points: readonly Point[], what: string) {
  const fragment = view(html, 'connection-stage-durations', 'panel');
  const stages = fragment.split('<div class="stage" ').slice(1);
  const expected = [
    ['signaling_to_connection_seconds', ref.distributions.signalingToConnection.overall],
    ['connection_to_wg_handshake_seconds', ref.distributions.connectionToHandshake.overall],
  ] as const;
  if (expected.every(([, q]) => q.count === 0)) {
    expect(stages, `${what}: no stage bars without data`).toEqual([]);
    return;
  }
  expect(stages, `${what}: one bar group per stage`).toHaveLength(expected.length);
  for (const [i, [field, q]] of expected.entries()) {
    const chunk = stages[i] as string;
    const attrs = attributes(chunk.slice(0, chunk.indexOf('>')));
    const label = `${what} stage ${field}`;
    expect(Number(attrs['data-count']), `${label} count`).toBe(q.count);
    for (const name of ['p50', 'p95'] as const) {
      expect(attrs[`data-${name}`], `${label} ${name}`).toBe(String(q[name]));
      const text = new RegExp(`data-q="${name}"[^>]*>([^<]*)<`).exec(chunk)?.[1];
      expect(decode(text ?? ''), `${label} ${name} text`).toBe(formatSeconds(q[name]));
    }
    const values = points.flatMap((p) =>
      p.measurement === 'netbird_peer_connection' && p.fields[field] !== undefined
        ? [p.fields[field] as number]
        : [],
    );
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Number(attrs['data-mean']), `${label} mean`).toBeCloseTo(mean, 12);
    expect(chunk, `${label} mean text`).toContain(`mean ${formatSeconds(mean)}`);
  }
}

function expectPage(html: string, ref: RefInsights, what: string, points: readonly Point[]) {
  expectPercentileTable(html, ref, what);
  expectBreakdowns(html, ref, what);
  expectPhaseTable(html, ref, what);
  expectStages(html, ref, points, what);
}

async function expectExplicitPage(range: Range, filters: RefFilters): Promise<string> {
  const q = query(range, filters);
  const html = await page(q);
  const ref = referenceInsights(fx.samples, range, filters, MAX_GROUPS);
  expectPage(html, ref, q, selectPoints(fx.samples, range, filters));
  return html;
}

describe('the page shows the independently computed numbers', () => {
  it('demo window: no filter, a filter, a combination', async () => {
    await expectExplicitPage(fx.demo, {});
    await expectExplicitPage(fx.demo, { os: 'ios' });
    await expectExplicitPage(fx.demo, { connection_type: 'relay', os: 'ios' });
    await expectExplicitPage(fx.demo, { version: '0.60.8', attempt_type: 'reconnection' });
  });

  it('hand-made window: "other" rows, unknown labels, unknown phases; no match', async () => {
    const html = await expectExplicitPage(fx.crafted, {});
    expect(html).toContain('data-other="1"');
    await expectExplicitPage(fx.crafted, { os: 'linux' });
    await expectExplicitPage(fx.crafted, { os: 'plan9' });
    // A label with every character HTML escapes, shown as itself.
    const odd = await expectExplicitPage(fx.crafted, { version: ODD_VERSION });
    expect(odd).not.toContain(ODD_VERSION);
  });

  it('fit default: the same numbers as the data in the fitted range', async () => {
    const html = await page('');
    // No sample lies near now, so any now during the request selects the same samples.
    const now = Date.now();
    const range = fittedRange(fx.samples, { from: now - DAY_MS, to: now }, {});
    const ref = referenceInsights(fx.samples, range, {}, MAX_GROUPS);
    expectPage(html, ref, 'fit', selectPoints(fx.samples, range, {}));
  });

  it('a breakdown row links to the view filtered to its group', async () => {
    const html = await expectExplicitPage(fx.demo, {});
    const first = rows(view(html, 'relay-share-by-os'), 'data-label')[0] as Row;
    const os = first.attrs['data-label'] as string;
    const link = /<a [^>]*href="([^"]*)"/.exec(
      new RegExp(`<tr [^>]*data-label="${os}"[^>]*>([\\s\\S]*?)</tr>`).exec(
        view(html, 'relay-share-by-os'),
      )?.[1] ?? '',
    )?.[1];
    expect(link, 'the row is a link').toBeDefined();
    const target = new URL(decode(link as string), `${fx.ingest.url}/dashboard`);
    expect(target.searchParams.get('os')).toBe(os);
    expect(target.searchParams.get('from'), 'the link keeps the range').toBe(String(fx.demo.from));
    const followed = await page(target.searchParams.toString());
    const ref = referenceInsights(fx.samples, fx.demo, { os }, MAX_GROUPS);
    expectPage(followed, ref, `os=${os}`, selectPoints(fx.samples, fx.demo, { os }));
  });

  it('a perturbed sample makes the comparison fail', async () => {
    const html = await page(query(fx.crafted, {}));
    const changed = fx.samples.map((s) =>
      s.measurement === 'netbird_login' && s.fields.duration_seconds === 30
        ? { ...s, fields: { duration_seconds: 31 } }
        : s,
    );
    const wrong = referenceInsights(changed, fx.crafted, {}, MAX_GROUPS);
    const points = selectPoints(changed, fx.crafted, {});
    expect(() => expectPage(html, wrong, 'perturbed', points)).toThrow(/login/);
  });
});

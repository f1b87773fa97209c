import { describe, expect, it } from 'vitest';
import { renderPage } from '../../src/ingest/dashboard/page.js';
import { computePanels, DEFAULT_PANEL_LIMITS } from '../../src/ingest/dashboard/panels.js';
import { BoundedCounts, OTHER_LABEL, topSlices } from '../../src/ingest/dashboard/top-counts.js';
import type { Sample } from '../../src/protocol/schema.js';

const NOW = 1_700_000_000_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const RANGE = { from: NOW - 3_600_000, to: NOW };

const login = (i: number, result: string): Sample => ({
  measurement: 'netbird_login',
  tags: { result },
  fields: { duration_seconds: 0.5 + (i % 10) / 10 },
  timestampNs: ns(NOW - 3_000_000 + (i % 3_000_000)),
});
const conn = (i: number, type: string): Sample => ({
  measurement: 'netbird_peer_connection',
  tags: { connection_type: type, connection_pair_id: `pair${i}` },
  fields: { total_seconds: 1 },
  timestampNs: ns(NOW - 2_000_000 + i),
});

const total = (slices: readonly { count: number }[]) => slices.reduce((n, s) => n + s.count, 0);

describe('BoundedCounts and topSlices', () => {
  it('counts labels one by one up to the limit, later new labels under "other"', () => {
    const c = new BoundedCounts(2, ['success']);
    for (const l of ['a', 'b', 'c', 'a', 'd', 'success', 'success']) c.add(l);
    expect([...c.counts]).toEqual([
      ['a', 2],
      ['b', 1],
      ['success', 2],
    ]);
    expect(c.untracked).toBe(2);
    expect(c.slices(['success'], 5)).toEqual([
      { label: 'success', count: 2 },
      { label: 'a', count: 2 },
      { label: 'b', count: 1 },
      { label: OTHER_LABEL, count: 2, other: true },
    ]);
  });

  it('shows the largest counts, known labels first, then alphabetically, then "other"', () => {
    const counts = new Map([
      ['zeta', 50],
      ['failure', 3],
      ['alpha', 40],
      ['beta', 1],
      ['success', 10],
    ]);
    expect(topSlices(counts, ['success', 'failure'], 3, 7)).toEqual([
      { label: 'success', count: 10 },
      { label: 'alpha', count: 40 },
      { label: 'zeta', count: 50 },
      { label: OTHER_LABEL, count: 11, other: true },
    ]);
    // Nothing dropped: no "other" slice, the order of the unbounded dashboard.
    expect(topSlices(counts, ['success', 'failure'], 10).map((s) => s.label)).toEqual([
      'success',
      'failure',
      'alpha',
      'beta',
      'zeta',
    ]);
  });
});

describe('group panels over a store full of distinct labels', () => {
  // What one push of 200k lines with distinct `result` values left in a store.
  const samples: Sample[] = [];
  for (let i = 0; i < 200_000; i++) samples.push(login(i, `r${i}`));
  for (let i = 0; i < 300; i++) samples.push(login(i, i % 3 === 0 ? 'failure' : 'success'));
  for (let i = 0; i < 5000; i++) samples.push(conn(i, i < 100 ? 'relay' : `type${i}`));
  const data = computePanels(samples, RANGE);
  const limit = DEFAULT_PANEL_LIMITS.maxGroups ?? 0;

  it('draws the largest groups plus one "other", with every sample still counted', () => {
    expect(limit).toBeGreaterThan(0);
    const logins = data.loginSuccessVsFailure;
    expect(logins.length).toBeLessThanOrEqual(limit + 1);
    expect(logins.slice(0, 2)).toEqual([
      { label: 'success', count: 200 },
      { label: 'failure', count: 100 },
    ]);
    expect(logins.at(-1)).toMatchObject({ label: OTHER_LABEL, other: true });
    expect(total(logins)).toBe(200_300);
    const pairs = data.iceVsRelay;
    expect(pairs.length).toBeLessThanOrEqual(limit + 1);
    expect(pairs[0]).toEqual({ label: 'relay', count: 100 });
    expect(total(pairs)).toBe(5000);
  });

  it('colours the login points by the drawn groups only', () => {
    const shown = new Set(data.loginSuccessVsFailure.map((s) => s.label));
    const groups = new Set(data.loginDuration.points.map((p) => p.group));
    expect(groups.size).toBeLessThanOrEqual(limit + 1);
    for (const g of groups) expect(shown.has(g ?? '')).toBe(true);
    expect(data.loginDuration.total).toBe(200_300);
  });

  it('renders a page whose size does not grow with the number of labels', () => {
    const html = renderPage(data, {
      source: 'store',
      rangeKey: '1h',
      ranges: ['1h'],
      basePath: '/dashboard',
      generatedAt: NOW,
    });
    // 66 MB before the bound; the point plots (5000 points each) are most of what is left.
    expect(html.length).toBeLessThan(3_000_000);
    expect(html.match(/<li data-label=/g)?.length ?? 0).toBeLessThanOrEqual(2 * (limit + 1));
  });

  it('keeps the memory of the count maps bounded while accumulating', () => {
    const c = new BoundedCounts(1000);
    for (let i = 0; i < 200_000; i++) c.add(`r${i}`);
    expect(c.counts.size).toBe(1000);
    expect(c.untracked).toBe(199_000);
  });
});

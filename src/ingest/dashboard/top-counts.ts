// Counting by a label that clients choose (a login result, a connection type): a client can send
// a new label with every sample, so both the counting and what is drawn are bounded. Only so
// many distinct labels are counted one by one, later ones go to one "other" bucket; a chart
// shows the largest few plus "other".

/** One drawn group: a label and its count; `other` marks the bucket of everything not shown. */
export interface Slice {
  readonly label: string;
  readonly count: number;
  readonly other?: true;
}

/** Label of the bucket that sums every label not shown on its own. */
export const OTHER_LABEL = 'other';

export interface GroupLimits {
  /** Distinct labels counted one by one; later new labels count under "other". */
  readonly maxTracked: number;
  /** Labels drawn on their own (the largest counts); the rest are summed into "other". */
  readonly maxShown: number;
}

export const DEFAULT_GROUP_LIMITS: GroupLimits = { maxTracked: 1000, maxShown: 8 };

/** Counts by label, with at most `maxTracked` labels; the `pinned` ones are always counted. */
export class BoundedCounts {
  readonly #counts = new Map<string, number>();
  readonly #pinned: ReadonlySet<string>;
  #untracked = 0;

  constructor(
    readonly maxTracked: number,
    pinned: readonly string[] = [],
  ) {
    if (!(maxTracked >= 1)) throw new RangeError('maxTracked must be at least 1');
    this.#pinned = new Set(pinned);
  }

  add(label: string, n = 1): void {
    const seen = this.#counts.get(label);
    if (seen !== undefined) this.#counts.set(label, seen + n);
    else if (this.#counts.size < this.maxTracked || this.#pinned.has(label))
      this.#counts.set(label, n);
    else this.#untracked += n;
  }

  /** Counted, but not under a label of their own (labels past the tracking limit). */
  get untracked(): number {
    return this.#untracked;
  }

  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  slices(order: readonly string[], maxShown: number): Slice[] {
    return topSlices(this.#counts, order, maxShown, this.#untracked);
  }
}

/**
 * The largest `maxShown` labels, the labels in `order` first (in that order, so colours and
 * legends do not jump between refreshes), then the others alphabetically, then one "other"
 * slice with the rest and `extraOther` (counts known only in total). Ties in size go to the
 * labels in `order`, then alphabetically.
 */
export function topSlices(
  counts: ReadonlyMap<string, number>,
  order: readonly string[],
  maxShown: number,
  extraOther = 0,
): Slice[] {
  const rank = (label: string) => {
    const i = order.indexOf(label);
    return i < 0 ? order.length : i;
  };
  const biggest = [...counts.keys()].sort(
    (a, b) =>
      (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
      rank(a) - rank(b) ||
      (a < b ? -1 : a > b ? 1 : 0),
  );
  const shown = new Set(biggest.slice(0, Math.max(0, maxShown)));
  const known = order.filter((l) => shown.has(l));
  const others = [...shown].filter((l) => !order.includes(l)).sort();
  const slices: Slice[] = [...known, ...others].map((label) => ({
    label,
    count: counts.get(label) ?? 0,
  }));
  let rest = extraOther;
  for (const label of biggest.slice(shown.size)) rest += counts.get(label) ?? 0;
  if (rest > 0) slices.push({ label: OTHER_LABEL, count: rest, other: true });
  return slices;
}

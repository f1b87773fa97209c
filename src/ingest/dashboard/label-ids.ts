// Small integer ids for the labels of a client-chosen tag (an os, a version, a sync phase), so
// per-sample bookkeeping is an array index, not an object. A client can send a new label with
// every sample, so only so many labels get an id of their own; later new ones share one id.

/** The label of samples without the tag. */
export const UNKNOWN_LABEL = 'unknown';

export class LabelIds {
  readonly #ids = new Map<string, number>();
  readonly #labels: string[] = [];
  readonly #limit: number;
  #untrackedSamples = 0;

  /** Id shared by every label past the tracking limit. */
  readonly untracked: number;

  /** `pinned` labels (a known vocabulary) always have ids, 0 up, besides `maxTracked` others. */
  constructor(maxTracked: number, pinned: readonly string[] = []) {
    if (!(maxTracked >= 1)) throw new RangeError('maxTracked must be at least 1');
    for (const label of pinned) this.idOf(label);
    this.#limit = this.#labels.length + maxTracked;
    this.untracked = this.#limit;
  }

  /**
   * The id of `label` (empty or absent: "unknown"); a new label past the limit gets the shared
   * untracked id, and is counted as such.
   */
  idOf(label: string | undefined): number {
    const key = label || UNKNOWN_LABEL;
    const seen = this.#ids.get(key);
    if (seen !== undefined) return seen;
    if (this.#labels.length >= this.#limit) {
      this.#untrackedSamples++;
      return this.untracked;
    }
    const id = this.#labels.length;
    this.#ids.set(key, id);
    this.#labels.push(key);
    return id;
  }

  /** Labels by id; the untracked id has none. */
  get labels(): readonly string[] {
    return this.#labels;
  }

  /** Samples whose label got no id of its own. */
  get untrackedSamples(): number {
    return this.#untrackedSamples;
  }
}

/** Per-id numbers that grow as ids are handed out (ids are small and dense); 0 when unset. */
export class IdCounts {
  #counts = new Float64Array(16);

  add(id: number, n = 1): void {
    this.#fit(id);
    this.#counts[id] = (this.#counts[id] as number) + n;
  }

  /** Keeps the largest value given for `id` (for values of at least 0, such as durations). */
  max(id: number, v: number): void {
    this.#fit(id);
    if (v > (this.#counts[id] as number)) this.#counts[id] = v;
  }

  get(id: number): number {
    return this.#counts[id] ?? 0;
  }

  #fit(id: number): void {
    if (id < this.#counts.length) return;
    const next = new Float64Array(Math.max(id + 1, this.#counts.length * 2));
    next.set(this.#counts);
    this.#counts = next;
  }
}

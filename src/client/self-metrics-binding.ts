import type { Meter } from '@opentelemetry/api';
import { registerSelfMetrics, type SelfMetricsSnapshot } from '../exporters/push/self-metrics.js';

/**
 * When the `netbird.metrics.*` counters exist, and on which meter. They are registered once
 * wanted: with `selfMetrics: true` at once, by default once the NetBird push runs (before that
 * they could only ever be zero, and would clutter the application's export), never with
 * `false`. They then follow the histograms to whatever provider the recordings move to.
 */
export class SelfMetricsBinding {
  readonly #option: boolean | undefined;
  readonly #read: () => SelfMetricsSnapshot;
  #on = false;
  #unregister: (() => void) | undefined;

  constructor(option: boolean | undefined, read: () => SelfMetricsSnapshot) {
    this.#option = option;
    this.#read = read;
  }

  /** Registers the counters on `meter` if they are wanted now and not yet registered. */
  update(pushRunning: boolean, meter: Meter): void {
    if (this.#on || !(this.#option ?? pushRunning)) return;
    this.#on = true;
    this.moveTo(meter);
  }

  /** The recordings moved to `meter`: so do the counters, once they are registered. */
  moveTo(meter: Meter): void {
    if (!this.#on) return;
    this.#unregister?.();
    this.#unregister = registerSelfMetrics(meter, this.#read);
  }
}

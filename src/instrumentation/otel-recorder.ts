import type { Attributes, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import { METER_NAME, type Sample } from '../protocol/schema.js';
import type { StageDurations } from './connection-stages.js';

/**
 * The OTel sink: turns checked samples into histogram recordings (DESIGN "OTel mapping").
 * Attribute keys are the Influx tag names, so dimensions stay the same across backends.
 */

export const INSTRUMENTS = {
  connection: 'netbird.peer.connection.duration',
  sync: 'netbird.sync.duration',
  syncPhase: 'netbird.sync.phase.duration',
  login: 'netbird.login.duration',
} as const;

/** Seconds; from sub-millisecond sync phases to long reconnections (cap 86 400 s). */
export const DURATION_BUCKETS_SECONDS = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800,
  86400,
];

/** Field → `stage` attribute value of the connection histogram. */
const CONNECTION_STAGES: ReadonlyArray<readonly [field: string, stage: string]> = [
  ['signaling_to_connection_seconds', 'signaling_to_connection'],
  ['connection_to_wg_handshake_seconds', 'connection_to_wg_handshake'],
  ['total_seconds', 'total'],
];

export interface OtelRecorderOptions {
  /** Record `connection_pair_id` as an attribute (unbounded cardinality; off by default). */
  includeConnectionPairId?: boolean;
  meterVersion?: string;
}

/**
 * Attribute sets repeat (one per agent × measurement × enum values), and the SDK hashes every
 * attribute object it is given, so building them once matters: it is most of the cost of a
 * recording beyond the bare `record` calls. Bounded; cleared when full.
 */
const ATTRIBUTE_CACHE_MAX = 512;

export class OtelRecorder {
  readonly #connection: Histogram;
  readonly #sync: Histogram;
  readonly #syncPhase: Histogram;
  readonly #login: Histogram;
  readonly #includePairId: boolean;
  readonly #attributeCache = new Map<string, readonly Attributes[]>();

  constructor(provider: MeterProvider, options: OtelRecorderOptions = {}) {
    const meter: Meter = provider.getMeter(METER_NAME, options.meterVersion);
    const histogram = (name: string, description: string) =>
      meter.createHistogram(name, {
        description,
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
      });
    this.#connection = histogram(
      INSTRUMENTS.connection,
      'Time to reach a peer, per stage: first signal to connection ready to first WireGuard handshake',
    );
    this.#sync = histogram(INSTRUMENTS.sync, 'Time to handle one management sync message');
    this.#syncPhase = histogram(INSTRUMENTS.syncPhase, 'Time spent in one phase of a sync');
    this.#login = histogram(INSTRUMENTS.login, 'Time of one login attempt to management');
    this.#includePairId = options.includeConnectionPairId ?? false;
  }

  /**
   * A connection sample that passed the schema: one recording per stage whose two timestamps
   * existed (a missing stage is not recorded; the line protocol keeps its 0).
   */
  recordConnection(sample: Sample, present: StageDurations): void {
    const [signaling, handshake, total] = this.#attributeSets(sample, CONNECTION_STAGES);
    const f = sample.fields;
    if (present.signalingToConnection !== undefined) {
      this.#connection.record(f.signaling_to_connection_seconds as number, signaling);
    }
    if (present.connectionToWgHandshake !== undefined) {
      this.#connection.record(f.connection_to_wg_handshake_seconds as number, handshake);
    }
    if (present.total !== undefined) this.#connection.record(f.total_seconds as number, total);
  }

  /** A sync, sync phase or login sample that passed the schema. */
  record(sample: Sample): void {
    const [attributes] = this.#attributeSets(sample, undefined);
    const seconds = sample.fields.duration_seconds as number;
    switch (sample.measurement) {
      case 'netbird_sync':
        this.#sync.record(seconds, attributes);
        return;
      case 'netbird_sync_phase':
        this.#syncPhase.record(seconds, attributes);
        return;
      case 'netbird_login':
        this.#login.record(seconds, attributes);
        return;
    }
  }

  /** The attributes of a sample, one set per stage when `stages` is given. */
  #attributeSets(
    sample: Sample,
    stages: typeof CONNECTION_STAGES | undefined,
  ): readonly Attributes[] {
    const tags = sample.tags;
    // The pair id, when included, is unbounded: such sets are built each time, never cached.
    let cacheable = !(this.#includePairId && tags.connection_pair_id);
    let key = sample.measurement;
    for (const k in tags) {
      if (!cacheable) break;
      if (k === 'connection_pair_id') continue;
      const value = tags[k] as string;
      // NUL separates the parts of the key; a value holding one could collide, so skip caching.
      if (value.includes('\u0000')) cacheable = false;
      key += `\u0000${k}\u0000${value}`;
    }
    if (cacheable) {
      const hit = this.#attributeCache.get(key);
      if (hit !== undefined) return hit;
    }
    const base = this.#attributes(tags);
    const sets = Object.freeze(
      stages === undefined
        ? [Object.freeze(base)]
        : stages.map(([, stage]) => Object.freeze({ ...base, stage })),
    );
    if (cacheable) {
      if (this.#attributeCache.size >= ATTRIBUTE_CACHE_MAX) this.#attributeCache.clear();
      this.#attributeCache.set(key, sets);
    }
    return sets;
  }

  #attributes(tags: Readonly<Record<string, string>>): Attributes {
    const attributes: Attributes = {};
    for (const key in tags) {
      const value = tags[key];
      // Empty values (peer id not known yet) are left out, as in the line protocol.
      if (value === undefined || value === '') continue;
      if (key === 'connection_pair_id' && !this.#includePairId) continue;
      attributes[key] = value;
    }
    return attributes;
  }
}

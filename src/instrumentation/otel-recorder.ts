import type { Attributes, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import type { Sample } from '../schema.js';

/**
 * The OTel sink: turns checked samples into histogram recordings (DESIGN "OTel mapping").
 * Attribute keys are the Influx tag names, so dimensions stay the same across backends.
 */

export const METER_NAME = 'netbird-otel-metrics';

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

export class OtelRecorder {
  readonly #connection: Histogram;
  readonly #sync: Histogram;
  readonly #syncPhase: Histogram;
  readonly #login: Histogram;
  readonly #includePairId: boolean;

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
   * Records a sample that passed the schema. `present` lists the connection fields whose
   * timestamps existed: a missing stage is not recorded (the line protocol keeps its 0).
   */
  record(sample: Sample, present?: ReadonlySet<string>): void {
    const attributes = this.#attributes(sample.tags);
    switch (sample.measurement) {
      case 'netbird_peer_connection':
        for (const [field, stage] of CONNECTION_STAGES) {
          const value = sample.fields[field];
          if (value === undefined || (present !== undefined && !present.has(field))) continue;
          this.#connection.record(value, { ...attributes, stage });
        }
        return;
      case 'netbird_sync':
        this.#sync.record(sample.fields.duration_seconds as number, attributes);
        return;
      case 'netbird_sync_phase':
        this.#syncPhase.record(sample.fields.duration_seconds as number, attributes);
        return;
      case 'netbird_login':
        this.#login.record(sample.fields.duration_seconds as number, attributes);
        return;
    }
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

import {
  type Attributes,
  createNoopMeter,
  diag,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import { METER_NAME, type Sample } from '../protocol/schema.js';
import type { StageDurations } from './connection-stages.js';
import { PACKAGE_VERSION } from './package-version.js';

export const INSTRUMENTS = {
  /** First signal to first WireGuard handshake: the whole connection, one recording each. */
  connection: 'netbird.peer.connection.duration',
  /** The two parts of `connection`, told apart by the `stage` attribute. */
  connectionStage: 'netbird.peer.connection.stage.duration',
  sync: 'netbird.sync.duration',
  syncPhase: 'netbird.sync.phase.duration',
  login: 'netbird.login.duration',
} as const;

/** Seconds; from sub-millisecond sync phases to long reconnections (cap 86 400 s). */
export const DURATION_BUCKETS_SECONDS = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800,
  86400,
];

/**
 * `stage` values of the stage instrument. The total is its own instrument: were it a third
 * stage, every sum over `stage` would count each connection three times.
 */
export const CONNECTION_STAGES = ['signaling_to_connection', 'connection_to_wg_handshake'] as const;

export interface OtelRecorderOptions {
  /** Record `connection_pair_id` as an attribute (unbounded cardinality; off by default). */
  includeConnectionPairId?: boolean;
  /**
   * The provider to record into (the application's, or one this package built). Without it,
   * the global provider, looked up at every recording.
   */
  meterProvider?: MeterProvider;
  /** Called each time recordings move to another provider, the first binding included. */
  onBind?: (provider: MeterProvider, meter: Meter) => void;
}

interface Instruments {
  readonly connection: Histogram;
  readonly connectionStage: Histogram;
  readonly sync: Histogram;
  readonly syncPhase: Histogram;
  readonly login: Histogram;
}

/**
 * Attribute sets repeat (one per agent × measurement × enum values), and the SDK hashes every
 * attribute object it is given, so building them once matters. They are found again by walking
 * a tree of the sample's tag values (one map lookup per tag, on strings whose hashes V8 keeps),
 * not by a key joined from the tags: joining and hashing that text cost more than the rest of
 * the lookup. Bounded; cleared when full.
 */
const ATTRIBUTE_CACHE_MAX = 512;
/** Nodes of the tree over all sets; a set takes one node per tag, so this bounds it as well. */
const ATTRIBUTE_NODES_MAX = ATTRIBUTE_CACHE_MAX * 16;

/** One tag of the attribute-set tree: the key the next tag must have, the nodes by its value. */
interface AttributeNode {
  key: string | undefined;
  readonly next: Map<string, AttributeNode>;
  sets: readonly Attributes[] | undefined;
}

function attributeNode(): AttributeNode {
  return { key: undefined, next: new Map(), sets: undefined };
}

/**
 * The OTel sink: turns checked samples into histogram recordings whose attribute keys are the
 * Influx tag names, so dimensions stay the same across backends.
 *
 * Instruments bind late. The metrics API has no proxy provider: a meter taken from the global
 * provider before the application registers one (e.g. before `NodeSDK.start()`) stays a no-op
 * forever. So every recording looks up the provider that is current now (one global read and
 * one comparison) and rebinds when it changed.
 */
export class OtelRecorder {
  readonly #includePairId: boolean;
  readonly #fixed: MeterProvider | undefined;
  readonly #onBind: OtelRecorderOptions['onBind'];
  /** Attribute-set trees by measurement, one map for connections (three sets) and one for the rest. */
  readonly #connectionSets = new Map<string, AttributeNode>();
  readonly #otherSets = new Map<string, AttributeNode>();
  #cachedSets = 0;
  #cachedNodes = 0;
  /** Handed over by a host SDK (the Instrumentation contract); wins over `#fixed`. */
  #assigned: MeterProvider | undefined;
  #enabled = true;
  #provider: MeterProvider | undefined;
  #meter: Meter | undefined;
  #instruments: Instruments | undefined;
  #noop = false;
  #toldNoop = false;

  constructor(options: OtelRecorderOptions = {}) {
    this.#includePairId = options.includeConnectionPairId ?? false;
    this.#fixed = options.meterProvider;
    this.#onBind = options.onBind;
  }

  /** The provider recordings go to now (binding to it if it changed). */
  get meterProvider(): MeterProvider {
    this.bind();
    return this.#provider as MeterProvider;
  }

  /** The NetBird meter of that provider. */
  get meter(): Meter {
    this.bind();
    return this.#meter as Meter;
  }

  /**
   * A host SDK's provider. A no-op one (NodeSDK hands over the global provider before it
   * registers its own) is not kept, so the global lookup still finds the real one later.
   */
  setMeterProvider(provider: MeterProvider | undefined): void {
    this.#assigned =
      provider === undefined || isNoopMeter(meterOf(provider)) ? undefined : provider;
  }

  /** Off: recordings skip OTel (the timestamped store is not affected). */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * A connection sample that passed the schema: the total and each stage whose two timestamps
   * existed (a missing stage is not recorded; the line protocol keeps its 0).
   */
  recordConnection(sample: Sample, present: StageDurations): void {
    const instruments = this.#current();
    if (instruments === undefined) return;
    const [total, signaling, handshake] = this.#attributeSets(sample, true);
    const f = sample.fields;
    if (present.total !== undefined) {
      instruments.connection.record(f.total_seconds as number, total);
    }
    if (present.signalingToConnection !== undefined) {
      instruments.connectionStage.record(f.signaling_to_connection_seconds as number, signaling);
    }
    if (present.connectionToWgHandshake !== undefined) {
      instruments.connectionStage.record(f.connection_to_wg_handshake_seconds as number, handshake);
    }
  }

  /** A sync, sync phase or login sample that passed the schema. */
  record(sample: Sample): void {
    const instruments = this.#current();
    if (instruments === undefined) return;
    const [attributes] = this.#attributeSets(sample, false);
    const seconds = sample.fields.duration_seconds as number;
    switch (sample.measurement) {
      case 'netbird_sync':
        instruments.sync.record(seconds, attributes);
        return;
      case 'netbird_sync_phase':
        instruments.syncPhase.record(seconds, attributes);
        return;
      case 'netbird_login':
        instruments.login.record(seconds, attributes);
        return;
    }
  }

  #current(): Instruments | undefined {
    if (!this.#enabled) return undefined;
    const provider = this.#assigned ?? this.#fixed ?? metrics.getMeterProvider();
    return provider === this.#provider ? this.#instruments : this.#bindTo(provider);
  }

  /** Binds to the provider that is current now, if it changed since the last recording. */
  bind(): void {
    const provider = this.#assigned ?? this.#fixed ?? metrics.getMeterProvider();
    if (provider !== this.#provider) this.#bindTo(provider);
  }

  #bindTo(provider: MeterProvider): Instruments {
    const meter = meterOf(provider);
    const instruments = createInstruments(meter);
    this.#provider = provider;
    this.#meter = meter;
    this.#instruments = instruments;
    this.#noop = isNoopMeter(meter);
    // Info, not a warning: an application that only uses the NetBird push has no provider on
    // purpose.
    if (this.#noop && !this.#toldNoop) {
      this.#toldNoop = true;
      diag.info(
        'netbird-otel-metrics: no MeterProvider is registered yet, so OTel recordings go to a no-op provider until one is (start the SDK, call metrics.setGlobalMeterProvider, or pass meterProvider); the timestamped store keeps every sample',
      );
    }
    this.#onBind?.(provider, meter);
    return instruments;
  }

  /** The attributes of a sample: for a connection, the total's set and one set per stage. */
  #attributeSets(sample: Sample, connection: boolean): readonly Attributes[] {
    const tags = sample.tags;
    // The pair id, when included, is unbounded: such sets are built each time, never cached.
    const node =
      this.#includePairId && tags.connection_pair_id
        ? undefined
        : this.#cacheNode(sample, connection);
    if (node?.sets !== undefined) return node.sets;
    const base = Object.freeze(this.#attributes(tags));
    const sets = Object.freeze(
      connection
        ? [base, ...CONNECTION_STAGES.map((stage) => Object.freeze({ ...base, stage }))]
        : [base],
    );
    if (node !== undefined) {
      node.sets = sets;
      this.#cachedSets++;
    }
    return sets;
  }

  /**
   * The tree node of the sample's tags (the pair id left out), made on the way if missing.
   * Undefined when a tag comes in another order than the node's first sample had: such a sample
   * is not cached (NetBird's own samples always have one order per measurement).
   */
  #cacheNode(sample: Sample, connection: boolean): AttributeNode | undefined {
    if (this.#cachedSets >= ATTRIBUTE_CACHE_MAX || this.#cachedNodes >= ATTRIBUTE_NODES_MAX) {
      this.#connectionSets.clear();
      this.#otherSets.clear();
      this.#cachedSets = 0;
      this.#cachedNodes = 0;
    }
    const roots = connection ? this.#connectionSets : this.#otherSets;
    let node = roots.get(sample.measurement);
    if (node === undefined) {
      node = attributeNode();
      roots.set(sample.measurement, node);
      this.#cachedNodes++;
    }
    const tags = sample.tags;
    for (const key in tags) {
      if (key === 'connection_pair_id') continue;
      if (node.key === undefined) node.key = key;
      else if (node.key !== key) return undefined;
      const value = tags[key] as string;
      let next: AttributeNode | undefined = node.next.get(value);
      if (next === undefined) {
        next = attributeNode();
        node.next.set(value, next);
        this.#cachedNodes++;
      }
      node = next;
    }
    return node;
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

function meterOf(provider: MeterProvider): Meter {
  return provider.getMeter(METER_NAME, PACKAGE_VERSION);
}

/** The API's no-op provider hands out its one no-op meter. */
function isNoopMeter(meter: Meter): boolean {
  return meter === createNoopMeter();
}

function createInstruments(meter: Meter): Instruments {
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
    });
  return {
    connection: histogram(
      INSTRUMENTS.connection,
      'Time to reach a peer: first signal to first WireGuard handshake',
    ),
    connectionStage: histogram(
      INSTRUMENTS.connectionStage,
      'Time of one stage of reaching a peer: first signal to connection ready (signaling_to_connection), connection ready to first WireGuard handshake (connection_to_wg_handshake)',
    ),
    sync: histogram(INSTRUMENTS.sync, 'Time to handle one management sync message'),
    syncPhase: histogram(INSTRUMENTS.syncPhase, 'Time spent in one phase of a sync'),
    login: histogram(INSTRUMENTS.login, 'Time of one login attempt to management'),
  };
}

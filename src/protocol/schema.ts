// The one source of truth for what a NetBird metrics sample may contain. The client checks
// every sample with it before the sample enters the store, and the ingest server checks every
// pushed line with it, so a sample the client keeps is a sample the ingest accepts.

/** The OTel scope of every instrument this package creates (NetBird's and its own counters). */
export const METER_NAME = 'netbird-otel-metrics';

export const CONNECTION_TYPES = ['ice_p2p', 'ice_turn', 'relay'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const ATTEMPT_TYPES = ['initial', 'reconnection'] as const;
export type AttemptType = (typeof ATTEMPT_TYPES)[number];

export const LOGIN_RESULTS = ['success', 'failure'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];

export const DEPLOYMENT_TYPES = ['cloud', 'selfhosted', 'unknown'] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

/** The sync sub-phases, in the order a sync runs them. */
export const SYNC_PHASES = [
  'netbird_config',
  'checks',
  'persist',
  'dns_server',
  'routes_classify',
  'routes_apply',
  'filtering',
  'dns_forwarder',
  'forward_rules',
  'offline_peers',
  'removed_peers',
  'modified_peers',
  'added_peers',
  'lazy_exclude',
] as const;
export type SyncPhase = (typeof SYNC_PHASES)[number];

/** Upper bound for every `*_seconds` field: one day; anything longer is a broken clock. */
export const MAX_DURATION_SECONDS = 86_400;
/** Upper bound for a tag value, in UTF-8 bytes: NetBird's Go ingest refuses longer ones. */
export const MAX_TAG_VALUE_BYTES = 64;

export interface MeasurementSchema {
  /** Tag keys in the order NetBird's Go client writes them. */
  readonly tags: readonly string[];
  /** Field keys, sorted in byte order (the order they are written). */
  readonly fields: readonly string[];
  /** Tags whose values must come from a closed set when the client records them. */
  readonly enums: Readonly<Record<string, readonly string[]>>;
}

const AGENT_TAGS = ['version', 'os', 'arch', 'peer_id'] as const;

export const MEASUREMENTS = {
  netbird_peer_connection: {
    tags: [
      'deployment_type',
      'connection_type',
      'attempt_type',
      ...AGENT_TAGS,
      'connection_pair_id',
    ],
    fields: [
      'connection_to_wg_handshake_seconds',
      'signaling_to_connection_seconds',
      'total_seconds',
    ],
    enums: {
      deployment_type: DEPLOYMENT_TYPES,
      connection_type: CONNECTION_TYPES,
      attempt_type: ATTEMPT_TYPES,
    },
  },
  netbird_sync: {
    tags: ['deployment_type', ...AGENT_TAGS],
    fields: ['duration_seconds'],
    enums: { deployment_type: DEPLOYMENT_TYPES },
  },
  netbird_sync_phase: {
    tags: ['deployment_type', ...AGENT_TAGS, 'phase'],
    fields: ['duration_seconds'],
    enums: { deployment_type: DEPLOYMENT_TYPES, phase: SYNC_PHASES },
  },
  netbird_login: {
    tags: ['deployment_type', 'result', ...AGENT_TAGS],
    fields: ['duration_seconds'],
    enums: { deployment_type: DEPLOYMENT_TYPES, result: LOGIN_RESULTS },
  },
} as const satisfies Record<string, MeasurementSchema>;

export type MeasurementName = keyof typeof MEASUREMENTS;
export const MEASUREMENT_NAMES = Object.keys(MEASUREMENTS) as MeasurementName[];

/**
 * One event, as both sinks see it. Tags are written in insertion order; fields are written
 * sorted. `timestampNs` is nanoseconds since the Unix epoch (a bigint because current times in
 * nanoseconds exceed 2^53).
 */
export interface Sample {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number>>;
  readonly timestampNs?: bigint;
}

/** Why a value is not allowed; the wording matches NetBird's Go ingest's messages. */
export type SchemaViolation =
  | { kind: 'unknown measurement'; measurement: string }
  | { kind: 'unknown tag'; tag: string }
  | { kind: 'tag value too long'; tag: string; bytes: number }
  | { kind: 'invalid tag value'; tag: string; value: string }
  | { kind: 'unknown field'; field: string }
  | { kind: 'missing field'; field: string }
  | { kind: 'non-finite value'; field: string; value: number }
  | { kind: 'negative value'; field: string; value: number }
  | { kind: 'too large'; field: string; value: number };

export function describeViolation(v: SchemaViolation): string {
  switch (v.kind) {
    case 'unknown measurement':
      return `unknown measurement: ${JSON.stringify(v.measurement)}`;
    case 'unknown tag':
      return `unknown tag: ${JSON.stringify(v.tag)}`;
    case 'tag value too long':
      return `tag value too long: ${v.tag} is ${v.bytes} bytes (max ${MAX_TAG_VALUE_BYTES})`;
    case 'invalid tag value':
      return `invalid tag value: ${v.tag}=${JSON.stringify(v.value)}`;
    case 'unknown field':
      return `unknown field: ${JSON.stringify(v.field)}`;
    case 'missing field':
      return `missing field: ${v.field}`;
    case 'non-finite value':
      return `non-finite value: ${v.field}=${v.value}`;
    case 'negative value':
      return `negative value: ${v.field}=${v.value}`;
    case 'too large':
      return `${v.field} too large: ${v.value} (max ${MAX_DURATION_SECONDS})`;
  }
}

export function measurementSchema(name: string): MeasurementSchema | undefined {
  return Object.hasOwn(MEASUREMENTS, name) ? MEASUREMENTS[name as MeasurementName] : undefined;
}

/** UTF-8 byte length (a lone surrogate counts as the 3 bytes of U+FFFD it is sent as). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * The check every field value gets, on the client and in the ingest, so a sample the client
 * keeps is never refused on push.
 */
export function checkFieldValue(field: string, value: number): SchemaViolation | undefined {
  if (!Number.isFinite(value)) return { kind: 'non-finite value', field, value };
  if (value < 0) return { kind: 'negative value', field, value };
  if (field.endsWith('_seconds') && value > MAX_DURATION_SECONDS) {
    return { kind: 'too large', field, value };
  }
  return undefined;
}

/** The check every tag gets: allowlisted key, bounded value, and (client side) enum values. */
export function checkTag(
  schema: MeasurementSchema,
  tag: string,
  value: string,
  enforceEnums: boolean,
): SchemaViolation | undefined {
  if (!schema.tags.includes(tag)) return { kind: 'unknown tag', tag };
  // Byte length only matters once the UTF-16 length could exceed the bound.
  if (value.length > MAX_TAG_VALUE_BYTES / 3) {
    const bytes = utf8Length(value);
    if (bytes > MAX_TAG_VALUE_BYTES) return { kind: 'tag value too long', tag, bytes };
  }
  if (enforceEnums) {
    const allowed = schema.enums[tag];
    if (allowed !== undefined && !allowed.includes(value)) {
      return { kind: 'invalid tag value', tag, value };
    }
  }
  return undefined;
}

/**
 * The client's check of a whole sample: everything the ingest checks, plus the closed tag
 * vocabularies and the presence of every field (NetBird's Go client always writes all fields).
 */
export function checkSample(sample: Sample): SchemaViolation | undefined {
  const schema = measurementSchema(sample.measurement);
  if (schema === undefined) return { kind: 'unknown measurement', measurement: sample.measurement };
  for (const tag in sample.tags) {
    const v = checkTag(schema, tag, sample.tags[tag] as string, true);
    if (v !== undefined) return v;
  }
  for (const field in sample.fields) {
    if (!schema.fields.includes(field)) return { kind: 'unknown field', field };
  }
  for (const field of schema.fields) {
    const value = sample.fields[field];
    if (value === undefined) return { kind: 'missing field', field };
    const v = checkFieldValue(field, value);
    if (v !== undefined) return v;
  }
  return undefined;
}

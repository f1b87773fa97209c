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

/** Longest name in an open vocabulary (`connection_type`, `phase`); the longest known is 15. */
export const MAX_NAME_LENGTH = 32;
/** Hex digits of a peer or pair id: 8 bytes of a SHA-256. */
export const ID_LENGTH = 16;

/**
 * What a tag value must look like, checked on the client and in the ingest alike. Tags whose
 * values a newer client may extend (a new transport, a new sync phase) get a name pattern rather
 * than a list, so an older ingest still takes them.
 */
export type TagShape =
  /** A closed set: one of `values`. */
  | { readonly kind: 'one of'; readonly values: readonly string[] }
  /** Lower-case letters, digits and `_`, 1 to {@link MAX_NAME_LENGTH} characters. */
  | { readonly kind: 'name' }
  /** {@link ID_LENGTH} lower-case hex digits, or empty where `emptyAllowed`. */
  | { readonly kind: 'id'; readonly emptyAllowed: boolean }
  /** Printable ASCII (space to `~`): no control, bidi or zero-width characters. */
  | { readonly kind: 'text' };

const NAME: TagShape = { kind: 'name' };
const TEXT: TagShape = { kind: 'text' };

/** The shape of every tag key any measurement has (a key means the same in each). */
export const TAG_SHAPES: Readonly<Record<string, TagShape>> = {
  deployment_type: { kind: 'one of', values: DEPLOYMENT_TYPES },
  attempt_type: { kind: 'one of', values: ATTEMPT_TYPES },
  result: { kind: 'one of', values: LOGIN_RESULTS },
  connection_type: NAME,
  phase: NAME,
  // A client writes its peer id empty until it first reaches management; a pair id is always
  // hashed, even from an empty side.
  peer_id: { kind: 'id', emptyAllowed: true },
  connection_pair_id: { kind: 'id', emptyAllowed: false },
  version: TEXT,
  os: TEXT,
  arch: TEXT,
};

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
  | { kind: 'invalid tag value'; tag: string; value: string; expected?: string }
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
      return `invalid tag value: ${v.tag}=${JSON.stringify(v.value)}${v.expected === undefined ? '' : ` (expected ${v.expected})`}`;
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

/**
 * The check of a tag value's shape ({@link TAG_SHAPES}), the same on the client and in the
 * ingest: undefined when `value` fits. A key without a shape is not checked here (the schema's
 * allowlist refuses unknown keys).
 */
export function checkTagShape(tag: string, value: string): SchemaViolation | undefined {
  const shape = tagShape(tag);
  if (shape === undefined || fitsShape(shape, value)) return undefined;
  return { kind: 'invalid tag value', tag, value, expected: describeShape(shape) };
}

/** The shape of a tag key's values, if it has one. */
export function tagShape(tag: string): TagShape | undefined {
  return Object.hasOwn(TAG_SHAPES, tag) ? TAG_SHAPES[tag] : undefined;
}

/**
 * {@link checkTagShape} over the bytes b[start, end) of a value as written, escapes kept, for the
 * ingest, which checks bytes without decoding them. The verdict is the same as for the decoded
 * value: no shape but text allows a character an escape stands for, and text allows the
 * backslash as well; bytes from 0x80 fit no shape, as non-ASCII characters do not. The loops are
 * written out per shape so the character tests inline: this runs for every value pushed.
 */
export function bytesFitShape(shape: TagShape, b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  switch (shape.kind) {
    case 'one of':
      for (let k = 0; k < shape.values.length; k++) {
        if (sameCodes(shape.values[k]!, b, start, n)) return true;
      }
      return false;
    case 'name':
      if (n === 0 || n > MAX_NAME_LENGTH) return false;
      for (let i = start; i < end; i++) if (!isNameChar(b[i]!)) return false;
      return true;
    case 'id':
      if (n !== ID_LENGTH) return n === 0 && shape.emptyAllowed;
      for (let i = start; i < end; i++) if (!isLowerHex(b[i]!)) return false;
      return true;
    case 'text':
      for (let i = start; i < end; i++) if (!isPrintableAscii(b[i]!)) return false;
      return true;
  }
}

function sameCodes(value: string, b: Uint8Array, start: number, n: number): boolean {
  if (value.length !== n) return false;
  for (let i = 0; i < n; i++) if (b[start + i] !== value.charCodeAt(i)) return false;
  return true;
}

function fitsShape(shape: TagShape, value: string): boolean {
  switch (shape.kind) {
    case 'one of':
      return shape.values.includes(value);
    case 'name':
      return value.length > 0 && value.length <= MAX_NAME_LENGTH && allChars(value, isNameChar);
    case 'id':
      return value.length === ID_LENGTH
        ? allChars(value, isLowerHex)
        : value.length === 0 && shape.emptyAllowed;
    case 'text':
      return allChars(value, isPrintableAscii);
  }
}

function describeShape(shape: TagShape): string {
  switch (shape.kind) {
    case 'one of':
      return `one of ${shape.values.join(', ')}`;
    case 'name':
      return `1 to ${MAX_NAME_LENGTH} of a-z, 0-9, _`;
    case 'id':
      return `${ID_LENGTH} lower-case hex digits`;
    case 'text':
      return 'printable ASCII';
  }
}

function allChars(value: string, ok: (c: number) => boolean): boolean {
  for (let i = 0; i < value.length; i++) if (!ok(value.charCodeAt(i))) return false;
  return true;
}

/** A character of a `name` shape: `a`–`z`, `0`–`9`, `_`. */
export function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

/** A character of an `id` shape: `0`–`9`, `a`–`f`. */
export function isLowerHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

function isPrintableAscii(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/**
 * The check every tag gets: allowlisted key, bounded value, its shape, and (client side) the
 * client's own vocabularies, which are narrower than the shapes an ingest takes.
 */
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
  const shape = checkTagShape(tag, value);
  if (shape !== undefined) return shape;
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

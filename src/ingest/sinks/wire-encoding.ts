// How a write goes on the wire, chosen per write. Below `gzipMinBytes` a write goes plain:
// InfluxDB 1.6 spent 15-25 % less CPU per line on plain writes than on gzip at every size
// measured, and compressing costs the ingest CPU too. From there on it goes gzip, because
// InfluxDB 1.x applies its `max-body-size` (25 MB by default) to the bytes on the wire. A
// client's own gzip body costs nothing to pass on, so a gzip write uses it wherever it stands
// for a push's lines: gzip members one after another decode as one stream of their data
// concatenated, so a combined write is the clients' members with only the pushes that have none
// (or were changed by the validator) compressed anew.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { LineBatch } from './sink.js';

const gzipAsync = promisify(gzipCallback);

export interface EncodingPolicy {
  /** Whether the database may be sent gzip at all. */
  readonly gzip: boolean;
  /** Below this many bytes of lines a write goes plain. */
  readonly gzipMinBytes: number;
}

/** A stretch of a gzip body: a client's own member, or lines still to compress. */
export type GzipMember =
  | { readonly kind: 'zipped'; readonly bytes: Buffer }
  | { readonly kind: 'compress'; readonly pieces: readonly Buffer[] };

export type WirePlan =
  | { readonly kind: 'plain'; readonly pieces: readonly Buffer[]; readonly length: number }
  | { readonly kind: 'gzip'; readonly members: readonly GzipMember[] };

/** Bytes ready to send. */
export interface WireBody {
  readonly pieces: readonly Buffer[];
  readonly length: number;
  readonly gzip: boolean;
}

/**
 * The encoding of one write: plain below the threshold; from it on gzip, made of the pushes' own
 * members and new members for the rest, consecutive pushes without one compressed together.
 */
export function planWire(batch: LineBatch, policy: EncodingPolicy): WirePlan {
  if (!policy.gzip || batch.byteLength < policy.gzipMinBytes) {
    return { kind: 'plain', pieces: batch.pieces, length: batch.byteLength };
  }
  const parts = batch.parts ?? [batch];
  const members: GzipMember[] = [];
  let pending: Buffer[] = [];
  for (const part of parts) {
    if (part.gzip === undefined) {
      for (const piece of part.pieces) pending.push(piece);
      continue;
    }
    if (pending.length > 0) members.push({ kind: 'compress', pieces: pending });
    pending = [];
    members.push({ kind: 'zipped', bytes: part.gzip });
  }
  if (pending.length > 0) members.push({ kind: 'compress', pieces: pending });
  return { kind: 'gzip', members };
}

/** The plan's bytes; compression runs off the event loop (zlib's thread pool), at level 1. */
export async function encodeWire(plan: WirePlan): Promise<WireBody> {
  if (plan.kind === 'plain') return { pieces: plan.pieces, length: plan.length, gzip: false };
  const pieces = await Promise.all(
    plan.members.map((m) =>
      m.kind === 'zipped'
        ? m.bytes
        : gzipAsync(m.pieces.length === 1 ? (m.pieces[0] as Buffer) : Buffer.concat(m.pieces), {
            level: 1,
          }),
    ),
  );
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return { pieces, length, gzip: true };
}

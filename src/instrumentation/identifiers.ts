// Anonymised identifiers, computed as NetBird's Go client does. The hash is taken over the base64 *text* of the
// WireGuard public key, so any client computes the same id for the same key.
import { createHash } from 'node:crypto';
import { PEER_ID_HEX_LENGTH } from '../protocol/peer-id.js';

function hash16(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, PEER_ID_HEX_LENGTH);
}

/** 16 lowercase hex chars: the first 8 bytes of SHA-256 over the key's base64 text. */
export function peerId(publicKeyBase64: string): string {
  return hash16(publicKeyBase64);
}

/** The same id on both ends of a connection: hash of the two peer ids, smaller first. */
export function connectionPairId(peerIdA: string, peerIdB: string): string {
  return peerIdA < peerIdB ? hash16(peerIdA + peerIdB) : hash16(peerIdB + peerIdA);
}

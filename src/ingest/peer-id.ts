/**
 * The ingest's anonymous sanity check of `X-Peer-ID` (reference §5.2): exactly 16 characters
 * that decode as hex (either case). It is not matched against the `peer_id` tags.
 */

export type PeerIdCheck =
  | { readonly ok: true; readonly peerId: string }
  | { readonly ok: false; readonly message: string };

export const PEER_ID_HEADER = 'x-peer-id';

const HEX16 = /^[0-9a-fA-F]{16}$/;

export function checkPeerIdHeader(value: string | string[] | undefined): PeerIdCheck {
  // Node joins repeated custom headers with ", ", so an array only comes from raw callers.
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (text === undefined || text === '') return { ok: false, message: 'missing X-Peer-ID header' };
  if (text.length !== 16) return { ok: false, message: 'invalid X-Peer-ID header length' };
  if (!HEX16.test(text)) return { ok: false, message: 'invalid X-Peer-ID header format' };
  return { ok: true, peerId: text.toLowerCase() };
}

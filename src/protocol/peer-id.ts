/**
 * The peer id on the wire: the `X-Peer-ID` request header every push carries, and the id format
 * (16 hex characters, the first 8 bytes of a SHA-256). The ingest checks the header only for
 * shape, anonymously; it is not matched against the `peer_id` tags.
 */

/** The header as clients send it; Node hands it to servers lower-cased. */
export const PEER_ID_HEADER = 'X-Peer-ID';

/** Hex characters in a peer id or connection pair id. */
export const PEER_ID_HEX_LENGTH = 16;

export type PeerIdCheck =
  | { readonly ok: true; readonly peerId: string }
  | { readonly ok: false; readonly message: string };

const HEX = new RegExp(`^[0-9a-fA-F]{${PEER_ID_HEX_LENGTH}}$`);

/** The header's value → the peer id (lower-cased), or the message NetBird's ingest answers. */
export function checkPeerIdHeader(value: string | string[] | undefined): PeerIdCheck {
  // Node joins repeated custom headers with ", ", so an array only comes from raw callers.
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (text === undefined || text === '') return { ok: false, message: 'missing X-Peer-ID header' };
  if (text.length !== PEER_ID_HEX_LENGTH) {
    return { ok: false, message: 'invalid X-Peer-ID header length' };
  }
  if (!HEX.test(text)) return { ok: false, message: 'invalid X-Peer-ID header format' };
  return { ok: true, peerId: text.toLowerCase() };
}

// The checks a push passes before its body is read, cheapest and least revealing first: the
// method, shutdown, the client address's rate, X-Peer-ID and its rate, the encoding, the declared
// size, and room for this address and peer in the in-flight budget (the slot itself is taken
// when the body begins to arrive).
import type { IncomingMessage } from 'node:http';
import { checkPeerIdHeader, PEER_ID_HEADER } from '../../protocol/peer-id.js';
import { type ContentEncoding, contentEncoding } from '../body.js';
import { type ClientAddressRule, clientAddress } from '../client-address.js';
import type { LogFields } from '../logger.js';
import type { RateLimiter } from '../rate-limit.js';
import type { Sink } from '../sinks/sink.js';
import type { InFlightBudget } from './budget.js';
import {
  bodyTooLarge,
  busy,
  invalidPeerId,
  METHOD_NOT_ALLOWED,
  type Reply,
  rateLimited,
  shuttingDown,
  unsupportedEncoding,
} from './replies.js';

/** Node lower-cases the names of incoming headers. */
const PEER_ID_HEADER_NAME = PEER_ID_HEADER.toLowerCase();

export interface AdmissionRules {
  /** Where the client address comes from behind a load balancer. */
  readonly clientAddress: ClientAddressRule;
  readonly maxBodyBytes: number;
  readonly retryAfterSeconds: number;
  readonly addressLimiter: RateLimiter;
  readonly peerLimiter: RateLimiter;
  readonly budget: InFlightBudget;
  /** Where pushes go; undefined while shutting down or before the sink is open. */
  readonly sink: () => Sink | undefined;
}

export interface Admitted {
  readonly ok: true;
  readonly encoding: ContentEncoding;
  readonly sink: Sink;
  /** The keys its address and peer hold their shares of the in-flight budget under. */
  readonly clients: readonly string[];
  /** Who sent it, for logs. */
  readonly fields: { readonly remote: string; readonly peer: string };
}

export interface Refused {
  readonly ok: false;
  readonly reply: Reply;
  readonly fields: LogFields;
}

/** Decides whether the body of `req` is read at all. */
export function admitPush(req: IncomingMessage, rules: AdmissionRules): Admitted | Refused {
  if (req.method !== 'POST') return { ok: false, reply: METHOD_NOT_ALLOWED, fields: {} };
  const remote = clientAddress(req, rules.clientAddress);
  const sink = rules.sink();
  if (sink === undefined) return refuse(shuttingDown(rules.retryAfterSeconds), { remote });
  const addressWait = rules.addressLimiter.take(remote);
  if (addressWait > 0) return refuse(rateLimited(addressWait), { remote });
  const peer = checkPeerIdHeader(req.headers[PEER_ID_HEADER_NAME]);
  if (!peer.ok) return refuse(invalidPeerId(peer.message), { remote });
  const fields = { remote, peer: peer.peerId };
  const peerWait = rules.peerLimiter.take(peer.peerId);
  if (peerWait > 0) return refuse(rateLimited(peerWait), fields);
  const encoding = contentEncoding(req.headers['content-encoding']);
  if (encoding === undefined) {
    return refuse(unsupportedEncoding(req.headers['content-encoding']), fields);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > rules.maxBodyBytes) return refuse(bodyTooLarge({ connection: 'close' }), fields);
  const clients = [`address ${remote}`, `peer ${peer.peerId}`];
  if (!rules.budget.hasRoomFor(clients)) return refuse(busy({ connection: 'close' }), fields);
  return { ok: true, encoding, sink, clients, fields };
}

function refuse(reply: Reply, fields: LogFields): Refused {
  return { ok: false, reply, fields };
}

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Longer forwarded-for values are not parsed: nothing a real chain of proxies writes is. */
export const MAX_FORWARDED_BYTES = 256;

export interface ClientAddressRule {
  /** Lower-cased header a load balancer writes the client address into; '' for none. */
  readonly header: string;
  /**
   * Proxies of ours that append to the header: the client is the entry this many from the right
   * (1: the right-most, written by the one balancer in front). Entries left of it are whatever
   * the client sent, so they are never used.
   */
  readonly hops: number;
}

/**
 * Who sent a request: from the configured header when it is there, short, and holds an address
 * at the trusted position; else the socket's peer address. Whatever a client writes, the result
 * is an IP address (or 'unknown'), so keys made from it stay short and few per sender.
 */
export function clientAddress(req: IncomingMessage, rule: ClientAddressRule): string {
  const socketAddress = normaliseAddress(req.socket.remoteAddress ?? '') ?? 'unknown';
  if (rule.header === '') return socketAddress;
  return forwardedAddress(req.headers[rule.header], rule.hops) ?? socketAddress;
}

/** The address `hops` entries from the right of a forwarded-for value, or undefined. */
export function forwardedAddress(
  value: string | string[] | undefined,
  hops: number,
): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text.length > MAX_FORWARDED_BYTES || hops < 1) return undefined;
  const entries = text.split(',');
  const entry = entries[entries.length - hops];
  return entry === undefined ? undefined : normaliseAddress(entry);
}

/**
 * An IPv4 or IPv6 address, lower-cased, from an entry that may carry a port (`192.0.2.1:443`,
 * `[2001:db8::1]:443`) or an IPv4-mapped IPv6 prefix; undefined for anything else.
 */
export function normaliseAddress(entry: string): string | undefined {
  let text = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed !== null) text = bracketed[1] as string;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.indexOf(':'));
  if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) text = text.slice(7);
  return isIP(text) === 0 ? undefined : text;
}

import type { Socket } from 'node:net';
import { normaliseAddress } from './client-address.js';

/** Loopback connections kept past the limits: enough for a local probe, too few to matter. */
export const LOOPBACK_RESERVE = 8;

export interface ConnectionLimits {
  /** Open connections at most. */
  readonly maxConnections: number;
  /** Open connections one socket address may have; 0 for no limit. */
  readonly maxPerAddress: number;
  /** Connections from loopback kept past the limits, answered on /health only. */
  readonly loopbackReserve: number;
}

interface Tracked {
  readonly address: string;
  readonly reserve: boolean;
}

/**
 * Decides at accept which connections the server keeps. Idle connections (kept alive between
 * requests, or yet to send one) cost a client nothing to hold, so at the limit the one idle
 * longest is closed to make room, rather than refusing everyone who comes next; one address
 * can hold only its share; and a health check from the machine itself (an orchestrator's
 * probe) still gets an answer when the rest is full.
 */
export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  readonly #open = new Map<Socket, Tracked>();
  readonly #perAddress = new Map<string, number>();
  /**
   * Connections within the limits that are not in a request; insertion order is the order they
   * became idle, so the first has been idle longest. Reserve ones are never closed for room.
   */
  readonly #idle = new Set<Socket>();
  #reserveInUse = 0;
  /** Connections closed at accept, and idle ones closed to make room. */
  refused = 0;
  evicted = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#open.size;
  }

  /** Open connections within the limits (not the loopback reserve). */
  get #regular(): number {
    return this.#open.size - this.#reserveInUse;
  }

  /** The server's `connection` listener. */
  readonly accept = (socket: Socket): void => {
    const address = normaliseAddress(socket.remoteAddress ?? '') ?? 'unknown';
    const { maxConnections, maxPerAddress, loopbackReserve } = this.#limits;
    const fromAddress = this.#perAddress.get(address) ?? 0;
    const overAddress = maxPerAddress > 0 && fromAddress >= maxPerAddress;
    if (!overAddress && this.#regular >= maxConnections) this.#closeLongestIdle();
    if (!overAddress && this.#regular < maxConnections) {
      this.#track(socket, address, false);
    } else if (isLoopback(address) && this.#reserveInUse < loopbackReserve) {
      this.#track(socket, address, true);
    } else {
      this.refused++;
      socket.destroy();
    }
  };

  /** A request began on the connection: it is not idle until its answer is written. */
  active(socket: Socket): void {
    this.#idle.delete(socket);
  }

  /** The connection's answer is written; it waits for the next request. */
  idle(socket: Socket): void {
    const tracked = this.#open.get(socket);
    if (tracked === undefined || tracked.reserve || socket.destroyed) return;
    this.#idle.delete(socket);
    this.#idle.add(socket);
  }

  /** Kept past the limits: only /health is answered on it. */
  healthOnly(socket: Socket): boolean {
    return this.#open.get(socket)?.reserve === true;
  }

  #track(socket: Socket, address: string, reserve: boolean): void {
    this.#open.set(socket, { address, reserve });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    if (reserve) this.#reserveInUse++;
    else this.#idle.add(socket);
    socket.once('close', () => this.#untrack(socket));
  }

  #untrack(socket: Socket): void {
    const tracked = this.#open.get(socket);
    if (tracked === undefined) return;
    this.#open.delete(socket);
    this.#idle.delete(socket);
    if (tracked.reserve) this.#reserveInUse--;
    const left = (this.#perAddress.get(tracked.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(tracked.address, left);
    else this.#perAddress.delete(tracked.address);
  }

  #closeLongestIdle(): void {
    const longest = this.#idle.values().next();
    if (longest.done) return;
    // Counted out now: its close event comes later, and the new connection takes its place.
    this.#untrack(longest.value);
    this.evicted++;
    longest.value.destroy();
  }
}

/** 127.0.0.0/8 and ::1, after {@link normaliseAddress}. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionGuard, isLoopback } from '../../src/ingest/connections.js';

/** A socket that records being destroyed and reports its close later, as a real one does. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

function guard(maxConnections: number, maxPerAddress = 0, loopbackReserve = 0) {
  const g = new ConnectionGuard({ maxConnections, maxPerAddress, loopbackReserve });
  const connect = (address: string) => {
    const s = new FakeSocket(address);
    g.accept(s as unknown as Socket);
    return s;
  };
  return { g, connect, sock: (s: FakeSocket) => s as unknown as Socket };
}

describe('ConnectionGuard', () => {
  it('closes at accept what an address has past its cap; other addresses still get in', () => {
    const { g, connect } = guard(100, 2);
    const kept = [connect('192.0.2.1'), connect('::ffff:192.0.2.1')];
    const third = connect('192.0.2.1');
    expect(kept.map((s) => s.destroyed)).toEqual([false, false]);
    expect(third.destroyed).toBe(true);
    expect(connect('192.0.2.2').destroyed).toBe(false);
    expect([g.open, g.refused]).toEqual([3, 1]);
  });

  it('counts an address down when its connections close', async () => {
    const { g, connect } = guard(100, 1);
    const first = connect('192.0.2.1');
    first.destroy();
    await Promise.resolve();
    expect(g.open).toBe(0);
    expect(connect('192.0.2.1').destroyed).toBe(false);
  });

  it('at the limit closes the connection idle longest to make room, never a busy one', () => {
    const { g, connect, sock } = guard(3);
    const [a, b, c] = [connect('192.0.2.1'), connect('192.0.2.2'), connect('192.0.2.3')];
    // a and c are in a request; b has been idle since it connected.
    g.active(sock(a));
    g.active(sock(c));
    const d = connect('192.0.2.4');
    expect([a, b, c, d].map((s) => s.destroyed)).toEqual([false, true, false, false]);
    // a's answer is written: it is now the longest idle of the open ones (d came before it).
    g.idle(sock(a));
    g.active(sock(d));
    const e = connect('192.0.2.5');
    expect([a, c, d, e].map((s) => s.destroyed)).toEqual([true, false, false, false]);
    expect([g.open, g.evicted, g.refused]).toEqual([3, 2, 0]);
    // Nothing idle: the new one is closed.
    g.active(sock(e));
    expect(connect('192.0.2.6').destroyed).toBe(true);
    expect(g.refused).toBe(1);
  });

  it('keeps a few loopback connections past the limits, for /health only', () => {
    const { g, connect, sock } = guard(1, 0, 2);
    const busy = connect('192.0.2.1');
    g.active(sock(busy));
    const probes = [connect('127.0.0.1'), connect('::1')];
    expect(probes.map((s) => s.destroyed)).toEqual([false, false]);
    expect(probes.map((s) => g.healthOnly(sock(s)))).toEqual([true, true]);
    expect(g.healthOnly(sock(busy))).toBe(false);
    expect(connect('127.0.0.1').destroyed).toBe(true);
    expect(connect('192.0.2.9').destroyed).toBe(true);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.3.4.5', '::1'].map(isLoopback)).toEqual([true, true, true]);
    expect(['128.0.0.1', '::2', '10.0.0.1'].map(isLoopback)).toEqual([false, false, false]);
  });
});

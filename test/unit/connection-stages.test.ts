import { describe, expect, it } from 'vitest';
import { ConnectionStages } from '../../src/index.js';
import { stageDurations } from '../../src/instrumentation/connection-stages.js';

// The Go client's stage-saving cases, adapted: times are epoch milliseconds or Dates.
describe('ConnectionStages', () => {
  const t0 = 1_700_000_000_000;

  it('sets signaling received once', () => {
    const s = new ConnectionStages();
    s.signalingReceived(t0);
    s.signalingReceived(t0 + 500);
    expect(s.snapshot().signalingReceived).toBe(t0);
  });

  it('keeps the first connection ready', () => {
    const s = new ConnectionStages();
    s.connectionReady(new Date(t0));
    s.connectionReady(t0 + 1000);
    expect(s.snapshot().connectionReady).toBe(t0);
  });

  it('stores a handshake after ready as given', () => {
    const s = new ConnectionStages();
    s.connectionReady(t0);
    expect(s.wgHandshake(t0 + 250)).toBe(true);
    expect(s.snapshot().wgHandshake).toBe(t0 + 250);
  });

  it('clamps a handshake before ready to ready (WireGuard has second precision)', () => {
    const s = new ConnectionStages();
    s.connectionReady(t0);
    s.wgHandshake(t0 - 100);
    expect(s.snapshot().wgHandshake).toBe(t0);
  });

  it('ignores a handshake before connection ready', () => {
    const s = new ConnectionStages();
    expect(s.wgHandshake(t0)).toBe(false);
    expect(s.snapshot().wgHandshake).toBeUndefined();
  });

  it('keeps the first handshake over rekeys', () => {
    const s = new ConnectionStages();
    s.connectionReady(t0);
    s.wgHandshake(t0 + 10);
    expect(s.wgHandshake(t0 + 120_000)).toBe(false);
    expect(s.snapshot().wgHandshake).toBe(t0 + 10);
  });

  it('disconnected clears the timestamps and marks a reconnection', () => {
    const s = new ConnectionStages();
    s.signalingReceived(t0);
    s.connectionReady(t0 + 1);
    s.wgHandshake(t0 + 2);
    expect(s.snapshot().isReconnection).toBe(false);
    s.disconnected();
    expect(s.snapshot()).toMatchObject({
      signalingReceived: undefined,
      connectionReady: undefined,
      wgHandshake: undefined,
      isReconnection: true,
    });
    s.signalingReceived(t0 + 10);
    expect(s.snapshot().isReconnection).toBe(true);
  });

  it('snapshot is empty at first; after signaling and ready the handshake is still empty', () => {
    const s = new ConnectionStages();
    expect(s.snapshot()).toEqual({
      signalingReceived: undefined,
      connectionReady: undefined,
      wgHandshake: undefined,
      isReconnection: false,
      attempt: 0,
    });
    s.signalingReceived(t0);
    s.connectionReady(t0 + 5);
    expect(s.snapshot().wgHandshake).toBeUndefined();
  });

  it('uses the injected clock when no time is given', () => {
    let now = t0;
    const s = new ConnectionStages({ now: () => now });
    s.signalingReceived();
    now += 1500;
    s.connectionReady();
    expect(stageDurations(s.snapshot()).signalingToConnection).toBe(1.5);
  });

  it('refuses an invalid time', () => {
    const s = new ConnectionStages();
    expect(() => s.signalingReceived(new Date('nope'))).toThrow(RangeError);
    expect(() => s.signalingReceived(Number.NaN)).toThrow(RangeError);
  });

  it('lets each attempt be recorded once', () => {
    const s = new ConnectionStages();
    expect(s.claimRecording()).toBe(true);
    expect(s.claimRecording()).toBe(false);
    s.disconnected();
    expect(s.claimRecording()).toBe(true);
  });
});

describe('stageDurations', () => {
  it('computes each stage only when both ends exist', () => {
    const s = new ConnectionStages();
    s.signalingReceived(1000);
    expect(stageDurations(s.snapshot())).toEqual({
      signalingToConnection: undefined,
      connectionToWgHandshake: undefined,
      total: undefined,
    });
    s.connectionReady(3000);
    s.wgHandshake(3500);
    expect(stageDurations(s.snapshot())).toEqual({
      signalingToConnection: 2,
      connectionToWgHandshake: 0.5,
      total: 2.5,
    });
  });
});

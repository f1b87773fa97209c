import { describe, expect, it } from 'vitest';
import { connectionPairId, peerId } from '../../src/index.js';

// Vectors computed independently (Python hashlib) from the rule: the first
// 8 bytes of SHA-256 over the key's base64 text, as hex.
const KEY_A = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const KEY_B = 'mbQ4d2VvZXhhbXBsZUtleUZvclRlc3RpbmcxMjM0NTY=';

describe('peerId', () => {
  it('hashes the base64 text of the key, first 8 bytes as lowercase hex', () => {
    expect(peerId(KEY_A)).toBe('51643eac9777b63a');
    expect(peerId(KEY_B)).toBe('2c8682552dd8bfb6');
  });

  it('is always 16 lowercase hex chars', () => {
    for (const key of ['', 'x', KEY_A, '🔑'.repeat(40)])
      expect(peerId(key)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('connectionPairId', () => {
  it('hashes the two peer ids, smaller first, no separator', () => {
    expect(connectionPairId(peerId(KEY_A), peerId(KEY_B))).toBe('b5d4bb8f3e299b03');
  });

  it('is the same from both ends', () => {
    const a = peerId(KEY_A);
    const b = peerId(KEY_B);
    expect(connectionPairId(a, b)).toBe(connectionPairId(b, a));
  });

  it('computes with an empty local id (no guard, as the reference)', () => {
    expect(connectionPairId('', peerId(KEY_A))).toBe('fdc67cf5ad0caefa');
  });
});

import { describe, expect, it } from 'vitest';
import { checkPeerIdHeader } from '../../src/protocol/peer-id.js';

describe('checkPeerIdHeader: what the ingest accepts as X-Peer-ID, and the messages it refuses with', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['0123456789abcdef', undefined],
    ['0123456789ABCDEF', undefined],
    [undefined, 'missing X-Peer-ID header'],
    ['', 'missing X-Peer-ID header'],
    ['0123456789abcd', 'invalid X-Peer-ID header length'],
    ['0123456789abcdef0', 'invalid X-Peer-ID header length'],
    ['0123456789abcdeg', 'invalid X-Peer-ID header format'],
    ['zzzzzzzzzzzzzzzz', 'invalid X-Peer-ID header format'],
  ];
  for (const [value, problem] of cases) {
    it(`${JSON.stringify(value)} → ${problem ?? 'ok'}`, () => {
      const r = checkPeerIdHeader(value);
      if (problem === undefined) expect(r).toEqual({ ok: true, peerId: value!.toLowerCase() });
      else expect(r).toEqual({ ok: false, message: problem });
    });
  }
});

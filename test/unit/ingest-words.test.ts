import { describe, expect, it } from 'vitest';
import { name, sameBytes, view } from '../../src/ingest/validate/words.js';

describe('sameBytes', () => {
  // Lengths around the word size, where the last word overlaps the ones before or is absent.
  const texts = [
    'o',
    'os=',
    'arch',
    'arch=',
    'phase=',
    'peer_id=',
    'attempt_type=',
    'connection_pair_id=',
  ];

  it('finds a name at any offset, followed by anything', () => {
    for (const text of texts) {
      for (const offset of [0, 1, 2, 3, 5]) {
        const b = Buffer.from(`${'x'.repeat(offset)}${text}rest`);
        expect(sameBytes(b, view(b), offset, name(text)), `${text} at ${offset}`).toBe(true);
      }
    }
  });

  it('refuses a name with any one byte changed', () => {
    for (const text of texts) {
      for (let j = 0; j < text.length; j++) {
        for (const offset of [0, 3]) {
          const b = Buffer.from(`${'x'.repeat(offset)}${text}rest`);
          b[offset + j] = b[offset + j]! ^ 0x20;
          expect(sameBytes(b, view(b), offset, name(text)), `${text} byte ${j}`).toBe(false);
        }
      }
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileShape, shapedValueEnd } from '../../src/ingest/validate/tag-shapes.js';
import { fourLowerHex, fourNameBytes, view } from '../../src/ingest/validate/words.js';
import { READ_ORDINARY, TAG_VALUE_BYTES } from '../../src/protocol/line-protocol/chars.js';
import {
  bytesFitShape,
  isLowerHex,
  isNameChar,
  MAX_TAG_VALUE_BYTES,
  TAG_SHAPES,
  tagShape,
} from '../../src/protocol/schema.js';

const word = (bytes: readonly number[]) =>
  bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24) | 0;

describe('four-byte class tests', () => {
  const cases = [
    {
      name: 'fourLowerHex',
      four: fourLowerHex,
      one: isLowerHex,
      fillers: [0x30, 0x39, 0x61, 0x66],
    },
    {
      name: 'fourNameBytes',
      four: fourNameBytes,
      one: isNameChar,
      fillers: [0x30, 0x39, 0x5f, 0x61, 0x7a],
    },
  ];
  for (const { name, four, one, fillers } of cases) {
    it(`${name}: every byte value in every lane, among bytes of the class`, () => {
      const wrong: string[] = [];
      for (let lane = 0; lane < 4; lane++) {
        for (let c = 0; c < 256; c++) {
          for (const filler of fillers) {
            const bytes = [filler, filler, filler, filler];
            bytes[lane] = c;
            if (four(word(bytes)) !== one(c)) wrong.push(`${c} in lane ${lane}`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });

    it(`${name}: any four bytes, as four single-byte tests`, () => {
      // Near the class's edges most of the time, where a lane could borrow from its neighbour.
      const edge = fc.constantFrom(0x2f, 0x30, 0x39, 0x3a, 0x5e, 0x5f, 0x60, 0x61, 0x66, 0x67);
      const byte = fc.oneof(edge, fc.constantFrom(0x7a, 0x7b, 0x7f, 0x80, 0xff, 0), fc.nat(255));
      fc.assert(
        fc.property(fc.tuple(byte, byte, byte, byte), (bytes) => {
          expect(four(word(bytes))).toBe(bytes.every(one));
        }),
        { numRuns: 5_000 },
      );
    });
  }
});

describe('tag value byte classes', () => {
  it('names and ids are made of bytes a value may hold as they are', () => {
    // The four-byte tests take these classes from the schema alone; the scan's rules must agree.
    for (let c = 0; c < 256; c++) {
      if (isNameChar(c) || isLowerHex(c)) {
        expect(TAG_VALUE_BYTES[c], String.fromCharCode(c)).toBe(READ_ORDINARY);
      }
    }
  });
});

describe('shapedValueEnd: the quick test of a tag value', () => {
  const TAGS = Object.keys(TAG_SHAPES);

  it('takes each realistic value of its shape, ending at the comma or space after it', () => {
    const values: Record<string, string> = {
      deployment_type: 'selfhosted',
      attempt_type: 'reconnection',
      result: 'success',
      connection_type: 'ice_p2p',
      phase: 'routes_classify',
      peer_id: 'a202ce4e571a2aeb',
      connection_pair_id: '0123456789abcdef',
      version: '0.38.2',
      os: 'linux',
      arch: 'amd64',
    };
    for (const tag of TAGS) {
      for (const after of [',', ' ']) {
        const b = Buffer.from(`x=${values[tag]}${after}y`);
        const e = shapedValueEnd(b, view(b), 2, b.length, compileShape(tag));
        expect(e, tag).toBe(b.length - 2);
      }
    }
  });

  it('takes only values the full scan accepts unchanged, and ends where the full scan does', () => {
    const unit = fc.constantFrom(
      ...'abcfz0189_-.AF~!',
      ' ',
      ',',
      '=',
      '\\',
      '\t',
      '\u007f',
      '\u00e9',
    );
    const text = fc.oneof(
      fc.string({ unit, maxLength: 40 }),
      fc.constantFrom('cloud', 'selfhosted', 'unknown', 'initial', 'success', 'failure', ''),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefg'), minLength: 14, maxLength: 18 }),
      fc.string({ unit: fc.constantFrom(...'abz09_'), minLength: 30, maxLength: 34 }),
      fc.string({ unit: fc.constantFrom(...'a.'), minLength: 62, maxLength: 66 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...TAGS),
        text,
        fc.constantFrom(',', ' ', '', 'x'),
        (tag, value, after) => {
          const b = Buffer.from(`k=${value}${after}`);
          const e = shapedValueEnd(b, view(b), 2, b.length, compileShape(tag));
          if (e < 0) return;
          // What the full scan would see: a non-empty value of ordinary bytes up to the first
          // comma or space, within the length bound, of the tag's shape.
          const raw = b.subarray(2, e);
          expect(raw.length).toBeGreaterThan(0);
          expect(raw.length).toBeLessThanOrEqual(MAX_TAG_VALUE_BYTES);
          expect([...raw].every((c) => TAG_VALUE_BYTES[c] === READ_ORDINARY)).toBe(true);
          expect([',', ' ']).toContain(String.fromCharCode(b[e]!));
          expect(e).toBeLessThan(b.length);
          expect(bytesFitShape(tagShape(tag)!, b, 2, e)).toBe(true);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('leaves empty values, values running to the end of the line and wrong ones to the full scan', () => {
    const cases: [string, string][] = [
      ['peer_id', ','],
      ['connection_type', ' '],
      ['version', ','],
      ['peer_id', 'a202ce4e571a2aeb'],
      ['peer_id', 'a202ce4e571a2aebf,'],
      ['peer_id', 'A202CE4E571A2AEB,'],
      ['deployment_type', 'cloudy,'],
      ['deployment_type', 'clou,'],
      ['connection_type', `${'a'.repeat(33)},`],
      ['connection_type', 'ice-p2p,'],
      ['version', '0.38\\ 2,'],
      ['version', `${'1'.repeat(65)},`],
      ['os', 'lin\u00e9ux,'],
    ];
    for (const [tag, rest] of cases) {
      const b = Buffer.from(`k=${rest}`);
      expect(shapedValueEnd(b, view(b), 2, b.length, compileShape(tag)), `${tag}=${rest}`).toBe(-1);
    }
  });
});

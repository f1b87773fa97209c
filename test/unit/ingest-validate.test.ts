import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../src/ingest/validate/result.js';
import { LineValidator, validateLineProtocol } from '../../src/ingest/validate/validate.js';
import { encodeLineProtocol } from '../../src/protocol/line-protocol/encode.js';
import { parseLine } from '../../src/protocol/line-protocol/parse.js';
import {
  MAX_DURATION_SECONDS,
  MAX_TAG_VALUE_BYTES,
  MEASUREMENTS,
  type MeasurementName,
  type Sample,
  tagShape,
} from '../../src/protocol/schema.js';

const TS = '1700000000000000000';
const PEER = `netbird_peer_connection,deployment_type=selfhosted,connection_type=relay,attempt_type=initial,version=0.64.1,os=linux,arch=amd64,peer_id=0123456789abcdef,connection_pair_id=fedcba9876543210 connection_to_wg_handshake_seconds=0.25,signaling_to_connection_seconds=1.5,total_seconds=1.75 ${TS}`;
const ID = '0123456789abcdef';
const SYNC = `netbird_sync,deployment_type=cloud,version=0.64.1,os=darwin,arch=arm64,peer_id=${ID} duration_seconds=1.5 ${TS}`;
const LOGIN = `netbird_login,deployment_type=cloud,result=success,version=0.64.1,os=windows,arch=amd64,peer_id=${ID} duration_seconds=0.8 ${TS}`;
/** SYNC's version: a free-text tag, so the tests of characters, escapes and length use it. */
const VERSION = 'version=0.64.1';

function ok(result: ValidationResult) {
  if (!result.ok) throw new Error(`expected valid, got: ${result.message}`);
  return result;
}

function fail(result: ValidationResult) {
  if (result.ok) throw new Error(`expected a failure, got output ${JSON.stringify(result.output)}`);
  return result;
}

describe("validateLineProtocol: the lines NetBird's Go ingest accepts and refuses", () => {
  it('a full peer-connection line, a sync line and a login line are valid and passed on unchanged', () => {
    for (const line of [PEER, SYNC, LOGIN]) {
      expect(ok(validateLineProtocol(`${line}\n`)).output).toBe(`${line}\n`);
    }
  });

  it('an unknown measurement', () => {
    const r = fail(validateLineProtocol(`cpu_usage,host=a value=1 ${TS}\n`));
    expect(r.message).toContain('unknown measurement');
    expect(r.reason).toBe('unknown measurement');
  });

  it('an extra tag on a sync line', () => {
    const r = fail(
      validateLineProtocol(SYNC.replace(`,peer_id=${ID}`, `,peer_id=${ID},evil_tag=x`)),
    );
    expect(r.message).toContain('unknown tag');
    expect(r.message).toContain('evil_tag');
  });

  it('an unknown field', () => {
    const r = fail(
      validateLineProtocol(
        SYNC.replace('duration_seconds=1.5', 'duration_seconds=1.5,injected_field=1'),
      ),
    );
    expect(r.message).toContain('unknown field');
  });

  it('a negative duration', () => {
    expect(fail(validateLineProtocol(SYNC.replace('=1.5', '=-1.5'))).message).toContain('negative');
  });

  it('durations over the cap, on a sync line and on total_seconds', () => {
    expect(fail(validateLineProtocol(SYNC.replace('=1.5', '=100000'))).message).toContain(
      'too large',
    );
    expect(
      fail(validateLineProtocol(PEER.replace('total_seconds=1.75', 'total_seconds=100000')))
        .message,
    ).toContain('too large');
    // The cap itself is allowed.
    ok(validateLineProtocol(SYNC.replace('=1.5', `=${MAX_DURATION_SECONDS}`)));
  });

  it('a tag value of 65 bytes is too long, 64 bytes is fine', () => {
    const r = fail(validateLineProtocol(SYNC.replace(VERSION, `version=${'a'.repeat(65)}`)));
    expect(r.message).toContain('tag value too long');
    ok(validateLineProtocol(SYNC.replace(VERSION, `version=${'a'.repeat(64)}`)));
    // The bound is in UTF-8 bytes: 22 three-byte characters are 66 bytes.
    expect(
      fail(validateLineProtocol(SYNC.replace(VERSION, `version=${'€'.repeat(22)}`))).reason,
    ).toBe('tag value too long');
    // Escapes do not count: 32 escaped commas are 32 bytes of value.
    ok(
      validateLineProtocol(
        SYNC.replace(VERSION, `version=${'\\,'.repeat(MAX_TAG_VALUE_BYTES / 2)}`),
      ),
    );
  });

  it('a body with a sync line and a login line is accepted with both', () => {
    const r = ok(validateLineProtocol(`${SYNC}\n${LOGIN}\n`));
    expect(r.lines).toBe(2);
    expect(r.output).toContain(SYNC);
    expect(r.output).toContain(LOGIN);
  });

  it('one bad line rejects the whole body and is named by number', () => {
    const r = fail(validateLineProtocol(`${SYNC}\n${LOGIN}\ncpu v=1\n${SYNC}\n`));
    expect(r.line).toBe(3);
    expect(r.message).toMatch(/^line 3: unknown measurement/);
  });
});

describe('validateLineProtocol: lines exactly as the Go client writes them', () => {
  it('accepts %g numbers, its tag order, an old connection_type and ns timestamps', () => {
    const body = [
      `netbird_peer_connection,deployment_type=selfhosted,connection_type=ice,attempt_type=reconnection,version=0.61.2,os=linux,arch=amd64,peer_id=0123456789abcdef,connection_pair_id=fedcba9876543210 connection_to_wg_handshake_seconds=0,signaling_to_connection_seconds=5e-05,total_seconds=2 1764000000123456789`,
      `netbird_sync_phase,deployment_type=cloud,version=0.61.2,os=darwin,arch=arm64,peer_id=0123456789abcdef,phase=routes_apply duration_seconds=1.234567e-06 1764000000123456790`,
      `netbird_sync,deployment_type=cloud,version=development,os=windows,arch=386,peer_id=0123456789abcdef duration_seconds=0.0001 1764000000123456791`,
      `netbird_login,deployment_type=unknown,result=failure,version=0.61.2,os=android,arch=arm64,peer_id=0123456789abcdef duration_seconds=8.64e+04 1764000000123456792`,
    ].join('\n');
    const r = ok(validateLineProtocol(`${body}\n`));
    expect(r.lines).toBe(4);
    expect(r.output).toBe(`${body}\n`);
  });

  it('parses exponent forms exactly: 1.234567e+06 seconds is over the cap, not malformed', () => {
    const r = fail(validateLineProtocol(SYNC.replace('=1.5', '=1.234567e+06')));
    expect(r.reason).toBe('too large');
    expect(r.message).toContain('1234567');
  });

  it('drops an empty tag value (peer_id= before the client knows its id) instead of refusing', () => {
    const line = `netbird_sync,deployment_type=unknown,version=0.61.2,os=linux,arch=amd64,peer_id= duration_seconds=0.5 ${TS}`;
    const r = ok(validateLineProtocol(`${line}\n`));
    expect(r.output).toBe(
      `netbird_sync,deployment_type=unknown,version=0.61.2,os=linux,arch=amd64 duration_seconds=0.5 ${TS}\n`,
    );
    expect(r.normalisedLines).toBe(1);
    expect(r.droppedEmptyTags).toBe(1);
    // Empty values at the start and in the middle, too.
    const r2 = ok(
      validateLineProtocol(
        `netbird_sync,deployment_type=,version=1,os=,arch=x duration_seconds=1\n`,
      ),
    );
    expect(r2.output).toBe('netbird_sync,version=1,arch=x duration_seconds=1\n');
  });
});

describe('validateLineProtocol: what InfluxDB would refuse is refused', () => {
  const cases: Array<[string, string, string]> = [
    ['integer field', SYNC.replace('=1.5', '=1i'), 'invalid field value'],
    ['unsigned field', SYNC.replace('=1.5', '=1u'), 'invalid field value'],
    ['boolean field', SYNC.replace('=1.5', '=true'), 'invalid field value'],
    ['string field', SYNC.replace('=1.5', '="1.5"'), 'invalid field value'],
    ['NaN', SYNC.replace('=1.5', '=NaN'), 'invalid field value'],
    ['Inf', SYNC.replace('=1.5', '=Inf'), 'invalid field value'],
    ['hex', SYNC.replace('=1.5', '=0x10'), 'invalid field value'],
    ['empty field value', SYNC.replace('=1.5', '='), 'invalid field value'],
    ['leading plus', SYNC.replace('=1.5', '=+1'), 'invalid field value'],
    ['dot without digits', SYNC.replace('=1.5', '=1.'), 'invalid field value'],
    ['overflowing float', SYNC.replace('=1.5', '=1e400'), 'non-finite value'],
    [
      'duplicate tag',
      SYNC.replace(`,peer_id=${ID}`, `,peer_id=${ID},peer_id=${ID}`),
      'duplicate tag',
    ],
    ['duplicate field', SYNC.replace('=1.5', '=1.5,duration_seconds=2'), 'duplicate field'],
    ['tag without =', SYNC.replace(`,peer_id=${ID}`, ',peer_id'), 'invalid tag'],
    ['field without =', SYNC.replace('duration_seconds=1.5', 'duration_seconds'), 'invalid field'],
    ['no fields', 'netbird_sync,os=linux', 'invalid line protocol'],
    ['only a measurement', 'netbird_sync', 'invalid line protocol'],
    ['timestamp too large', SYNC.replace(TS, '9223372036854775807'), 'invalid timestamp'],
    ['timestamp too small', SYNC.replace(TS, '-9223372036854775807'), 'invalid timestamp'],
    ['20-digit timestamp', SYNC.replace(TS, '10000000000000000000'), 'invalid timestamp'],
    ['float timestamp', SYNC.replace(TS, '1.5'), 'invalid timestamp'],
    ['timestamp with plus', SYNC.replace(TS, `+${TS}`), 'invalid timestamp'],
    ['two spaces before the timestamp', SYNC.replace(` ${TS}`, `  ${TS}`), 'invalid timestamp'],
    ['something after the timestamp', `${SYNC} 5`, 'invalid timestamp'],
    ['backslash escaping nothing', SYNC.replace(VERSION, 'version=a\\b'), 'invalid tag value'],
    ['trailing backslash', SYNC.replace(VERSION, 'version=abc\\'), 'invalid tag value'],
    ['escaped backslash', SYNC.replace(VERSION, 'version=a\\\\b'), 'invalid tag value'],
    ['unescaped = in a tag value', SYNC.replace(VERSION, 'version=a=b'), 'invalid tag value'],
    ['tab in a tag value', SYNC.replace(VERSION, 'version=a\tb'), 'invalid tag value'],
    ['NUL in a tag value', SYNC.replace(VERSION, 'version=a\u0000b'), 'invalid tag value'],
    ['DEL in a tag value', SYNC.replace(VERSION, 'version=a\u007fb'), 'invalid tag value'],
    ['escaped measurement', SYNC.replace('netbird_sync', 'netbird\\_sync'), 'unknown measurement'],
    ['escaped tag key', SYNC.replace('peer_id=', 'peer\\_id='), 'unknown tag'],
  ];
  for (const [name, line, reason] of cases) {
    it(`${name} → ${reason}`, () => {
      const r = fail(validateLineProtocol(`${SYNC}\n${line}\n`));
      expect(r.reason).toBe(reason);
      expect(r.line).toBe(2);
      expect(r.message.startsWith('line 2: ')).toBe(true);
    });
  }

  it('finds a bad byte at any position of a long tag value (values are scanned four bytes at a time)', () => {
    const value = 'abcdefghijklmnopqrstuvwx';
    const bad: Array<[string, string]> = [
      ['\u0001', 'invalid tag value'],
      ['\u007f', 'invalid tag value'],
      ['=', 'invalid tag value'],
      ['\\', 'invalid tag value'],
      // Valid UTF-8, but no tag's shape allows characters beyond ASCII.
      ['é', 'invalid tag value'],
    ];
    for (let at = 0; at < value.length; at++) {
      for (const [ch, reason] of bad) {
        const line = SYNC.replace(
          VERSION,
          `version=${value.slice(0, at)}${ch}${value.slice(at + 1)}`,
        );
        expect(fail(validateLineProtocol(line)).reason, `${JSON.stringify(ch)} at ${at}`).toBe(
          reason,
        );
      }
      for (const ch of ['\\,', '\\ ', '~', '!']) {
        const line = SYNC.replace(
          VERSION,
          `version=${value.slice(0, at)}${ch}${value.slice(at + 1)}`,
        );
        expect(ok(validateLineProtocol(line)).output).toBe(`${line}\n`);
      }
    }
    // Invalid UTF-8 anywhere in the value.
    for (let at = 0; at < value.length; at++) {
      const [head, tail] = SYNC.split(VERSION) as [string, string];
      const bytes = Buffer.concat([
        Buffer.from(`${head}version=${value.slice(0, at)}`),
        Buffer.from([0xff]),
        Buffer.from(`${value.slice(at + 1)}${tail}`),
      ]);
      expect(fail(validateLineProtocol(bytes)).reason, `0xff at ${at}`).toBe('invalid encoding');
    }
    // Digits are also read four at a time: a bad one anywhere in a long fraction or timestamp.
    for (let at = 0; at < 18; at++) {
      const fraction = `0.${'1'.repeat(at)}x${'1'.repeat(17 - at)}`;
      expect(fail(validateLineProtocol(SYNC.replace('=1.5', `=${fraction}`))).reason).toBe(
        'invalid field value',
      );
      const ts = `${TS.slice(0, at)}a${TS.slice(at + 1)}`;
      expect(fail(validateLineProtocol(SYNC.replace(TS, ts))).reason).toBe('invalid timestamp');
    }
  });

  it('keeps escaped commas, spaces and equals signs in tag values, byte for byte', () => {
    const line = SYNC.replace(VERSION, 'version=a\\ b\\,c\\=d');
    expect(ok(validateLineProtocol(line)).output).toBe(`${line}\n`);
    expect(parseLine(line).tags.version).toBe('a b,c=d');
  });

  it('refuses non-ASCII tag values by their shape, and invalid UTF-8 as such, with the line number', () => {
    const line = SYNC.replace('os=darwin', 'os=därwin€😀');
    const shape = fail(validateLineProtocol(Buffer.from(`${SYNC}\n${line}\n`)));
    expect(shape).toMatchObject({ reason: 'invalid tag value', line: 2 });
    expect(shape.message).toContain('printable ASCII');
    const bad = Buffer.concat([
      Buffer.from(`${SYNC}\nnetbird_sync,os=`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' duration_seconds=1\n'),
    ]);
    const r = fail(validateLineProtocol(bad));
    expect(r.reason).toBe('invalid encoding');
    expect(r.line).toBe(2);
  });

  it('quotes client text in messages with a bound', () => {
    const r = fail(validateLineProtocol(`${'x'.repeat(5000)} v=1`));
    expect(r.reason).toBe('unknown measurement');
    expect(r.message.length).toBeLessThan(200);
  });
});

describe('validateLineProtocol: layout', () => {
  it('skips empty lines and comments, trims whitespace and CRLF, counts lines from 1', () => {
    const r = ok(validateLineProtocol(`\n# a comment\n  ${SYNC}  \r\n\n${LOGIN}`));
    expect(r.output).toBe(`${SYNC}\n${LOGIN}\n`);
    expect(r.lines).toBe(2);
    expect(r.skippedLines).toBe(3);
    expect(r.normalisedLines).toBe(1);
    const bad = fail(validateLineProtocol(`\n# c\n${SYNC}\r\nbad v=1\n`));
    expect(bad.line).toBe(4);
  });

  it('refuses a body without any line: "no valid lines"', () => {
    for (const body of ['', '\n\n', '# only a comment\n', '   \r\n']) {
      const r = fail(validateLineProtocol(body));
      expect(r.reason).toBe('no valid lines');
      expect(r.message).toBe('no valid lines');
    }
  });

  it('stamps lines without a timestamp when asked (for the embedded store), and only those', () => {
    const r = ok(
      validateLineProtocol(`netbird_sync duration_seconds=1\n${SYNC}\n`, { missingTimestamp: 42n }),
    );
    expect(r.output).toBe(`netbird_sync duration_seconds=1 42\n${SYNC}\n`);
    expect(ok(validateLineProtocol('netbird_sync duration_seconds=1\n')).output).toBe(
      'netbird_sync duration_seconds=1\n',
    );
  });

  it('bounds the number of lines (empty lines count) and the length of a line', () => {
    const three = `${SYNC}\n\n${SYNC}\n`;
    ok(validateLineProtocol(three, { maxLines: 3 }));
    const r = fail(validateLineProtocol(`${three}${SYNC}\n`, { maxLines: 3 }));
    expect(r.reason).toBe('too many lines');
    expect(r.line).toBe(4);
    ok(validateLineProtocol(SYNC, { maxLineLength: SYNC.length }));
    expect(fail(validateLineProtocol(SYNC, { maxLineLength: SYNC.length - 1 })).reason).toBe(
      'line too long',
    );
  });

  it('finds an over-long line while it streams in, without waiting for its end', () => {
    const v = new LineValidator({ maxLineLength: 100 });
    expect(v.push('netbird_sync,version=')).toBe(true);
    expect(v.push('x'.repeat(200))).toBe(false);
    expect(v.failure?.reason).toBe('line too long');
  });
});

describe('LineValidator: streaming gives the same answer as one piece', () => {
  const body = `# header\n${PEER}\n${SYNC.replace(`peer_id=${ID}`, 'peer_id=')}\n\n${LOGIN.replace('os=windows', 'os=win\\ dows')}\r\n${SYNC}`;

  it('for every split point of a body (valid and invalid)', () => {
    const whole = validateLineProtocol(body);
    expect(whole.ok).toBe(true);
    const bytes = Buffer.from(body);
    const broken = Buffer.from(body.replace('result=success', 'result=success,x=1'));
    const wholeBroken = validateLineProtocol(broken);
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const [input, expected] of [
        [bytes, whole],
        [broken, wholeBroken],
      ] as const) {
        const v = new LineValidator();
        v.push(input.subarray(0, cut));
        v.push(input.subarray(cut));
        expect(summary(v.end())).toEqual(summary(expected));
      }
    }
  });

  it('for random chunkings of random bodies', () => {
    const lineArb = fc.oneof(
      fc.constantFrom(
        PEER,
        SYNC,
        LOGIN,
        '',
        '# c',
        'netbird_sync,peer_id= duration_seconds=2',
        'cpu v=1',
        'netbird_sync duration_seconds=-1',
      ),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 8 }),
        fc.array(fc.nat(400), { maxLength: 6 }),
        (lines, cuts) => {
          const input = Buffer.from(lines.join('\n'));
          const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort(
            (a, b) => a - b,
          );
          const v = new LineValidator();
          let from = 0;
          for (const p of [...points, input.length]) {
            v.push(input.subarray(from, p));
            from = p;
          }
          expect(summary(v.end())).toEqual(summary(validateLineProtocol(input)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LineValidator: a line that repeats the tags of the line before it', () => {
  const PHASE = `netbird_sync_phase,deployment_type=cloud,version=0.64.1,os=linux,arch=amd64,peer_id=${ID},phase=checks duration_seconds=0.5 ${TS}`;
  // After a comment instead of PHASE, the line is line 2 as well but has nothing to repeat.
  const checkedAlone = (line: Buffer) =>
    validateLineProtocol(Buffer.concat([Buffer.from('# c\n'), line, Buffer.from('\n')]));
  const afterPhase = (line: Buffer) =>
    validateLineProtocol(Buffer.concat([Buffer.from(`${PHASE}\n`), line, Buffer.from('\n')]));

  it('gets the verdict it gets alone, whichever byte differs from the line before', () => {
    const replacements = [',', ' ', '=', '\\', 'x', '0', '_', '\t', '\u00ff'];
    let repeats = 0;
    for (let at = 0; at <= PHASE.length; at++) {
      for (const by of replacements) {
        const line = Buffer.from(`${PHASE.slice(0, at)}${by}${PHASE.slice(at + 1)}`, 'latin1');
        const alone = checkedAlone(line);
        const after = afterPhase(line);
        if (alone.ok) {
          const passed = ok(after);
          expect(passed.output).toBe(`${PHASE}\n${alone.output}`);
          expect(passed.lines).toBe(2);
          repeats++;
        } else {
          expect(after).toEqual(alone);
        }
      }
    }
    // Most changes make the line invalid; enough of them leave it valid.
    expect(repeats).toBeGreaterThan(50);
  });

  it('every tag and the whole tag set repeated, and a different measurement after', () => {
    const lines = [
      PHASE,
      PHASE.replace('phase=checks', 'phase=persist'),
      PHASE.replace('0.5', '0.25'),
      PHASE.replace('deployment_type=cloud', 'deployment_type=unknown'),
      PHASE.replace('netbird_sync_phase', 'netbird_sync').replace(',phase=checks', ''),
      PHASE.replace(',phase=checks', ',phase=checks,phase=checks'),
    ];
    const body = lines.join('\n');
    const r = fail(validateLineProtocol(body));
    expect(r).toMatchObject({ line: 6, reason: 'duplicate tag' });
    expect(ok(validateLineProtocol(lines.slice(0, 5).join('\n'))).lines).toBe(5);
  });

  it('a line with an empty tag is checked in full, and so is the one after it', () => {
    const empty = PHASE.replace(`peer_id=${ID}`, 'peer_id=');
    const r = ok(validateLineProtocol(`${empty}\n${empty}\n${PHASE}\n${PHASE}\n`));
    const dropped = empty.replace(',peer_id=', '');
    expect(r.output).toBe(`${dropped}\n${dropped}\n${PHASE}\n${PHASE}\n`);
    expect(r.droppedEmptyTags).toBe(2);
  });

  it('is compared only with lines of the same push: a buffer changed and pushed again is checked again', () => {
    const v = new LineValidator();
    const chunk = Buffer.from(`${PHASE}\n`);
    expect(v.push(chunk)).toBe(true);
    // The caller breaks the rule that pushed bytes stay unchanged: the new line is still checked.
    chunk.write('os=li=ux', PHASE.indexOf('os=linux'), 'latin1');
    expect(v.push(chunk)).toBe(false);
    expect(v.failure).toMatchObject({ line: 2, reason: 'invalid tag value' });
  });
});

describe('LineValidator: validators share nothing a caller can see', () => {
  it('interleaved pushes to several validators give each the answer it gets alone', () => {
    const bodies = [
      `${SYNC}\n${SYNC.replace(`peer_id=${ID}`, 'peer_id=')}\n  ${LOGIN}\nnetbird_sync duration_seconds=1\n`,
      `${PEER}\n${PEER.replace('os=linux', 'os=li=nux')}\n${SYNC}\n`,
      `# c\n${LOGIN}\n\n${SYNC}`,
    ].map((body) => Buffer.from(body));
    const options = { missingTimestamp: 7n };
    const alone = bodies.map((body) => summary(validateLineProtocol(body, options)));
    expect(alone.map((r) => r.ok)).toEqual([true, false, true]);
    const validators = bodies.map(() => new LineValidator(options));
    const longest = Math.max(...bodies.map((body) => body.length));
    for (let from = 0; from < longest; from += 20) {
      for (const [i, v] of validators.entries()) v.push(bodies[i]!.subarray(from, from + 20));
    }
    expect(validators.map((v) => summary(v.end()))).toEqual(alone);
  });
});

function summary(r: ValidationResult) {
  return r.ok
    ? { ok: true, output: r.output, lines: r.lines }
    : { ok: false, line: r.line, reason: r.reason };
}

describe('validateLineProtocol and the client encoder agree', () => {
  const names = Object.keys(MEASUREMENTS) as MeasurementName[];
  // Tag values the client's check lets through, of each tag's shape: the encoder makes the
  // free text (spaces, commas, `=`, backslashes) portable.
  const chars = (set: string) => fc.constantFrom(...set);
  const tagValue = (tag: string): fc.Arbitrary<string> => {
    const shape = tagShape(tag);
    switch (shape?.kind) {
      case 'one of':
        return fc.constantFrom(...shape.values);
      case 'name':
        return fc.string({ unit: chars('abcdefghijklmnopqrstuvwxyz0123456789_'), minLength: 1 });
      case 'id':
        return fc.string({ unit: chars('0123456789abcdef'), minLength: 16, maxLength: 16 });
      default:
        return fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 24,
        });
    }
  };
  const seconds = fc.double({ min: 0, max: MAX_DURATION_SECONDS, noNaN: true });
  const sampleArb: fc.Arbitrary<Sample> = fc.constantFrom(...names).chain((name) => {
    const schema = MEASUREMENTS[name];
    return fc.record({
      measurement: fc.constant(name),
      tags: fc
        .record(Object.fromEntries(schema.tags.map((t) => [t, tagValue(t)])), {
          requiredKeys: [],
        })
        .map((tags) => tags as Record<string, string>),
      fields: fc.record(Object.fromEntries(schema.fields.map((f) => [f, seconds]))),
      timestampNs: fc.bigInt({ min: -9223372036854775806n, max: 9223372036854775806n }),
    });
  });

  it('every sample the encoder writes passes, byte for byte unless an empty tag is left out', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 5 }), (samples) => {
        const text = encodeLineProtocol(samples);
        const r = validateLineProtocol(text);
        if (!r.ok) throw new Error(`${r.message}\n${text}`);
        expect(r.output).toBe(text);
        expect(r.lines).toBe(samples.length);
        // And reads back to the same samples.
        const back = r.output.trimEnd().split('\n').map(parseLine);
        back.forEach((s, i) => {
          expect(s.measurement).toBe(samples[i]!.measurement);
          expect(s.fields).toEqual(samples[i]!.fields);
          expect(s.timestampNs).toBe(samples[i]!.timestampNs);
        });
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary bytes, and what it passes on validates again unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = validateLineProtocol(bytes);
        if (r.ok) expect(ok(validateLineProtocol(r.output)).output).toBe(r.output);
      }),
      { numRuns: 500 },
    );
  });
});

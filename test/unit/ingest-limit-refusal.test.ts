import { describe, expect, it } from 'vitest';
import { parseLimitRefusal, unquoteGo } from '../../src/ingest/sinks/influx-limit-error.js';
import type { LineBatch } from '../../src/ingest/sinks/sink.js';
import {
  MAX_REWRITES,
  storeAroundLimits,
  type UpstreamAnswer,
} from '../../src/ingest/sinks/store-around-limits.js';

// InfluxDB 1.6.7's answers, as it wrote them with max-values-per-tag=3 and max-series-per-database=5.
const VALUES_BODY =
  '{"error":"partial write: max-values-per-tag limit exceeded (5/3): measurement=\\"m\\" tag=\\"p\\" value=\\"f\\" dropped=1"}';
const SERIES_BODY =
  '{"error":"partial write: max-series-per-database limit exceeded: (5) dropped=3"}';

function valuesBody(measurement: string, tag: string, value: string, dropped: number): string {
  const reason = `max-values-per-tag limit exceeded (10/10): measurement=${JSON.stringify(measurement)} tag=${JSON.stringify(tag)} value=${JSON.stringify(value)}`;
  return JSON.stringify({ error: `partial write: ${reason} dropped=${dropped}` });
}

function batchOf(lines: string[]): LineBatch {
  const piece = Buffer.from(`${lines.join('\n')}\n`);
  return { pieces: [piece], byteLength: piece.length, lines: lines.length };
}

function linesOf(batch: LineBatch): string[] {
  return Buffer.concat(batch.pieces as Buffer[])
    .toString()
    .split('\n')
    .filter((l) => l !== '');
}

describe('parseLimitRefusal', () => {
  it('reads a max-values-per-tag refusal: limit, dropped=N and the value it names', () => {
    expect(parseLimitRefusal(400, VALUES_BODY)).toEqual({
      limit: 'max-values-per-tag',
      dropped: 1,
      named: { measurement: 'm', tag: 'p', value: 'f' },
      message:
        'partial write: max-values-per-tag limit exceeded (5/3): measurement="m" tag="p" value="f" dropped=1',
    });
  });

  it('reads a max-series-per-database refusal, which names no value', () => {
    expect(parseLimitRefusal(400, SERIES_BODY)).toEqual({
      limit: 'max-series-per-database',
      dropped: 3,
      message: 'partial write: max-series-per-database limit exceeded: (5) dropped=3',
    });
  });

  it('reads quoted names with escaped quotes and spaces', () => {
    const body = valuesBody('net bird', 'peer_id', 'a "b" tag="c"', 2);
    expect(parseLimitRefusal(400, body)?.named).toEqual({
      measurement: 'net bird',
      tag: 'peer_id',
      value: 'a "b" tag="c"',
    });
  });

  it('a value it cannot unquote exactly is not named (no line is matched by a guess)', () => {
    const body = JSON.stringify({
      error:
        'partial write: max-values-per-tag limit exceeded (3/3): measurement="m" tag="p" value="\\xff" dropped=1',
    });
    expect(parseLimitRefusal(400, body)).toMatchObject({ limit: 'max-values-per-tag' });
    expect(parseLimitRefusal(400, body)?.named).toBeUndefined();
  });

  it('anything that is not a limit is not a limit refusal', () => {
    for (const [status, body] of [
      [
        400,
        '{"error":"partial write: field type conflict: input field \\"v\\" on measurement \\"m\\" is type string, already exists as type float dropped=1"}',
      ],
      [400, '{"error":"partial write: points beyond retention policy dropped=1"}'],
      [400, '{"error":"partial write: field type conflict"}'],
      [400, '{"error":"unable to parse \'m v=\': missing field value"}'],
      [400, 'partial write: max-series-per-database limit exceeded: (5) dropped=3'],
      [400, '{"error":"max-series-per-database limit exceeded: (5)"}'],
      [422, SERIES_BODY],
      [500, VALUES_BODY],
      [400, '[]'],
      [400, 'null'],
    ] as const) {
      expect(parseLimitRefusal(status, body), body).toBeUndefined();
    }
  });

  it('takes the message of an InfluxDB 2.x style body', () => {
    const body = JSON.stringify({
      code: 'invalid',
      message: 'partial write: max-series-per-database limit exceeded: (7) dropped=2',
    });
    expect(parseLimitRefusal(400, body)).toMatchObject({
      limit: 'max-series-per-database',
      dropped: 2,
    });
  });
});

describe('unquoteGo', () => {
  it('reads the escapes Go writes for text, nothing else', () => {
    expect(unquoteGo('"a\\"b\\\\c\\nd\\te"')).toBe('a"b\\c\nd\te');
    expect(unquoteGo('"ünï"')).toBe('ünï');
    expect(unquoteGo('"\\x41"')).toBeUndefined();
    expect(unquoteGo('"a"b"')).toBeUndefined();
    expect(unquoteGo('abc')).toBeUndefined();
    expect(unquoteGo('"')).toBeUndefined();
  });
});

describe('storeAroundLimits', () => {
  const known = (i: number) => `m,p=known v=${i} ${i}`;
  const fresh = (value: string, i: number, measurement = 'm') =>
    `${measurement},p=${value} v=${i} ${i}`;

  type Style = 'values' | 'series' | 'misnamed';

  /**
   * A database that refuses every line whose `p` is in `refused`: naming the first of them
   * (`values`), naming none (`series`), or naming a value no line has (`misnamed`).
   */
  function database(refused: ReadonlySet<string>, style: Style) {
    const writes: string[][] = [];
    const writeOnce = async (batch: LineBatch): Promise<UpstreamAnswer> => {
      const lines = linesOf(batch);
      writes.push(lines);
      const bad = lines.filter((l) => refused.has(/,p=([^ ]*)/.exec(l)?.[1] ?? ''));
      if (bad.length === 0) return { status: 204, body: '' };
      if (style === 'series') {
        const error = `partial write: max-series-per-database limit exceeded: (5) dropped=${bad.length}`;
        return { status: 400, body: JSON.stringify({ error }) };
      }
      const [measurement, value] = /^([^,]*),p=([^ ]*)/.exec(bad[0]!)!.slice(1) as [string, string];
      const named = style === 'misnamed' ? 'elsewhere' : value;
      return { status: 400, body: valuesBody(measurement, 'p', named, bad.length) };
    };
    return { writes, writeOnce };
  }

  async function run(lines: string[], refused: string[], style: Style = 'values') {
    const db = database(new Set(refused), style);
    const batch = batchOf(lines);
    const first = await db.writeOnce(batch);
    const refusal = parseLimitRefusal(first.status, first.body)!;
    const accepted: UpstreamAnswer[] = [];
    const result = await storeAroundLimits(batch, refusal, db.writeOnce, (a) => {
      accepted.push(a);
    });
    return { result, rewrites: db.writes.slice(1), accepted };
  }

  it('writes again without the lines of the named value; those are the refused ones', async () => {
    const lines = [known(1), fresh('x', 2), known(3), fresh('x', 4), known(5)];
    const { result, rewrites, accepted } = await run(lines, ['x']);
    expect(rewrites).toEqual([[known(1), known(3), known(5)]]);
    expect(accepted).toEqual([{ status: 204, body: '' }]);
    expect(result).toEqual({
      limit: 'max-values-per-tag',
      stored: 3,
      refused: 2,
      message: expect.stringContaining('value="x" dropped=2'),
    });
  });

  it('one value after the other, per measurement', async () => {
    const lines = [fresh('x', 1), known(2), fresh('y', 3), fresh('x', 4, 'n'), known(5)];
    const { result, rewrites } = await run(lines, ['x', 'y']);
    expect(rewrites).toEqual([
      [known(2), fresh('y', 3), fresh('x', 4, 'n'), known(5)],
      [known(2), fresh('x', 4, 'n'), known(5)],
      [known(2), known(5)],
    ]);
    expect(result).toMatchObject({ stored: 2, refused: 3 });
  });

  it('every line refused: nothing stored, without writing again', async () => {
    const { result, rewrites } = await run([fresh('x', 1), fresh('x', 2)], ['x']);
    expect(rewrites).toEqual([]);
    expect(result).toMatchObject({ stored: 0, refused: 2, limit: 'max-values-per-tag' });
  });

  it('dropped < lines, yet every line carries the refused value: nothing stored', async () => {
    // A database that counts one dropped point per series, not per line.
    const lines = [fresh('x', 1), fresh('x', 2), fresh('x', 3)];
    const refusal = parseLimitRefusal(400, valuesBody('m', 'p', 'x', 1))!;
    let calls = 0;
    const result = await storeAroundLimits(
      batchOf(lines),
      refusal,
      async () => {
        calls++;
        return { status: 204, body: '' };
      },
      () => {},
    );
    expect(calls).toBe(0);
    expect(result).toMatchObject({ stored: 0, refused: 3 });
  });

  it.each(['series', 'misnamed'] as const)(
    'a refusal that names no line (%s): halves are written until each is taken or refused whole',
    async (style) => {
      const lines = [known(1), fresh('x', 2), known(3), known(4), fresh('y', 5), known(6)];
      const { result, rewrites, accepted } = await run(lines, ['x', 'y'], style);
      expect(result).toMatchObject({ stored: 4, refused: 2 });
      // Exactly the known lines were in writes the database took whole.
      const taken = rewrites.filter((w) => w.every((l) => l.includes('p=known'))).flat();
      expect(taken.sort()).toEqual([known(1), known(3), known(4), known(6)].sort());
      expect(accepted.length).toBeGreaterThan(0);
      expect(rewrites.length).toBeLessThanOrEqual(MAX_REWRITES);
    },
  );

  it(`gives up after ${MAX_REWRITES} rewrites: nothing counted as stored`, async () => {
    const values = Array.from({ length: MAX_REWRITES + 2 }, (_, i) => `v${i}`);
    const lines = [known(0), ...values.map((v, i) => fresh(v, i + 1))];
    const { result, rewrites } = await run(lines, values);
    expect(rewrites).toHaveLength(MAX_REWRITES);
    expect(result).toMatchObject({ stored: 0, refused: lines.length });
    // Known and refused lines taking turns: halving needs a write for nearly every line.
    const mixed = values.flatMap((v, i) => [known(i), fresh(v, i + 100)]);
    const halving = await run(mixed, values, 'series');
    expect(halving.rewrites).toHaveLength(MAX_REWRITES);
    expect(halving.result).toMatchObject({ stored: 0, refused: mixed.length });
  });

  it('a failure on a rewrite is thrown by accept, so the push is not acknowledged', async () => {
    const batch = batchOf([known(1), fresh('x', 2)]);
    const refusal = parseLimitRefusal(400, valuesBody('m', 'p', 'x', 1))!;
    const down = async (): Promise<UpstreamAnswer> => ({ status: 500, body: 'down' });
    await expect(
      storeAroundLimits(batch, refusal, down, (a) => {
        throw new Error(`answered ${a.status}`);
      }),
    ).rejects.toThrow('answered 500');
  });
});

import { describe, expect, it } from 'vitest';
import { parseLimitRefusal, unquoteGo } from '../../src/ingest/sinks/influx-limit-error.js';
import type { LineBatch } from '../../src/ingest/sinks/sink.js';
import {
  MAX_ROUNDS,
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

  /** A database that refuses every line whose `p` is in `refused`, naming the first of them. */
  function database(refused: ReadonlySet<string>) {
    const writes: string[][] = [];
    const writeOnce = async (batch: LineBatch): Promise<UpstreamAnswer> => {
      const lines = linesOf(batch);
      writes.push(lines);
      const bad = lines.filter((l) => refused.has(/,p=([^ ]*)/.exec(l)?.[1] ?? ''));
      if (bad.length === 0) return { status: 204, body: '' };
      const [measurement, value] = /^([^,]*),p=([^ ]*)/.exec(bad[0]!)!.slice(1) as [string, string];
      return { status: 400, body: valuesBody(measurement, 'p', value, bad.length) };
    };
    return { writes, writeOnce };
  }

  async function run(lines: string[], refused: string[]) {
    const db = database(new Set(refused));
    const batch = batchOf(lines);
    const first = await db.writeOnce(batch);
    const refusal = parseLimitRefusal(first.status, first.body)!;
    const accepted: UpstreamAnswer[] = [];
    const result = await storeAroundLimits(batch, refusal, db.writeOnce, (a) => {
      accepted.push(a);
    });
    return { result, writes: db.writes.slice(1), accepted };
  }

  it('writes again without the lines of the named value; those are the refused ones', async () => {
    const lines = [known(1), fresh('x', 2), known(3), fresh('x', 4), known(5)];
    const { result, writes, accepted } = await run(lines, ['x']);
    expect(writes).toEqual([[known(1), known(3), known(5)]]);
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
    const { result, writes } = await run(lines, ['x', 'y']);
    expect(writes).toEqual([
      [known(2), fresh('y', 3), fresh('x', 4, 'n'), known(5)],
      [known(2), fresh('x', 4, 'n'), known(5)],
      [known(2), known(5)],
    ]);
    expect(result).toMatchObject({ stored: 2, refused: 3 });
  });

  it('every line refused: nothing stored, without writing again', async () => {
    const { result, writes } = await run([fresh('x', 1), fresh('x', 2)], ['x']);
    expect(writes).toEqual([]);
    expect(result).toMatchObject({ stored: 0, refused: 2, limit: 'max-values-per-tag' });
  });

  it('dropped < lines, yet every line carries a refused value: nothing stored', async () => {
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

  it('a value that matches no line, or a refusal naming none: nothing counted as stored', async () => {
    const batch = batchOf([known(1), known(2)]);
    const writeOnce = async (): Promise<UpstreamAnswer> => ({ status: 204, body: '' });
    const unmatched = parseLimitRefusal(400, valuesBody('m', 'p', 'elsewhere', 1))!;
    expect(await storeAroundLimits(batch, unmatched, writeOnce, () => {})).toMatchObject({
      stored: 0,
      refused: 2,
    });
    const series = parseLimitRefusal(400, SERIES_BODY.replace('dropped=3', 'dropped=1'))!;
    expect(await storeAroundLimits(batch, series, writeOnce, () => {})).toMatchObject({
      limit: 'max-series-per-database',
      stored: 0,
      refused: 2,
    });
  });

  it(`gives up after ${MAX_ROUNDS} rewrites: nothing counted as stored`, async () => {
    const values = Array.from({ length: MAX_ROUNDS + 2 }, (_, i) => `v${i}`);
    const lines = [known(0), ...values.map((v, i) => fresh(v, i + 1))];
    const { result, writes } = await run(lines, values);
    expect(writes).toHaveLength(MAX_ROUNDS);
    expect(result).toMatchObject({ stored: 0, refused: lines.length });
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

import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommitSink } from '../../src/ingest/sinks/group-commit.js';
import { openSink } from '../../src/ingest/sinks/select-sink.js';
import {
  type LineBatch,
  type RefusedLines,
  type Sink,
  SinkRejectedError,
  SinkUnavailableError,
} from '../../src/ingest/sinks/sink.js';

// biome-ignore lint/suspicious/noConfusingVoidType: a sink may resolve with nothing
type Result = RefusedLines | void;

interface Call {
  readonly batch: LineBatch;
  readonly signal: AbortSignal | undefined;
  readonly text: string;
  answer(result?: Result): void;
  fail(error: unknown): void;
}

/** A database sink whose writes the test answers one by one. */
class FakeSink implements Sink {
  readonly kind = 'influxdb-v1' as const;
  readonly target = 'fake';
  readonly forwardsGzip = true;
  readonly calls: Call[] = [];
  closed = false;

  write(batch: LineBatch, signal?: AbortSignal): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.calls.push({
        batch,
        signal,
        text: Buffer.concat(batch.pieces as Buffer[]).toString('utf8'),
        answer: (result) => resolve(result),
        fail: reject,
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function batch(text: string, gzip = false): LineBatch {
  const piece = Buffer.from(text);
  return {
    pieces: [piece],
    byteLength: piece.length,
    lines: text.split('\n').length - 1,
    ...(gzip && { gzip: gzipSync(piece) }),
  };
}

/** Lets promise callbacks run without moving the fake clock. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Records when a write settles, and how. */
function watch(promise: Promise<Result>): { state: string; value?: unknown } {
  const seen: { state: string; value?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(seen, { state: 'resolved', value }),
    (value) => Object.assign(seen, { state: 'rejected', value }),
  );
  return seen;
}

const OPTIONS = { lingerMs: 5, maxLines: 100, maxBytes: 10_000 };

describe('group commit', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes concurrent pushes as one write once the linger ends, and answers after it', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const a = watch(sink.write(batch('a v=1 1\n')));
    const b = watch(sink.write(batch('b v=1 1\nb v=2 2\n')));
    await vi.advanceTimersByTimeAsync(4);
    expect(inner.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(inner.calls).toHaveLength(1);
    const call = inner.calls[0] as Call;
    expect(call.text).toBe('a v=1 1\nb v=1 1\nb v=2 2\n');
    expect(call.batch.lines).toBe(3);
    expect(call.batch.byteLength).toBe(call.text.length);
    await settleMicrotasks();
    // Nobody is answered before the database acknowledged.
    expect([a.state, b.state]).toEqual(['pending', 'pending']);
    call.answer();
    await settleMicrotasks();
    expect([a.state, b.state]).toEqual(['resolved', 'resolved']);
  });

  it('tells how many pushes each group was written with', async () => {
    const inner = new FakeSink();
    const groups: number[] = [];
    const sink = new GroupCommitSink(inner, { ...OPTIONS, onGroup: (n) => groups.push(n) });
    void sink.write(batch('a v=1 1\n'));
    void sink.write(batch('b v=1 1\n'));
    void sink.write(batch('c v=1 1\n'));
    await vi.advanceTimersByTimeAsync(5);
    void sink.write(batch('d v=1 1\n'));
    await vi.advanceTimersByTimeAsync(5);
    expect(groups).toEqual([3, 1]);
    expect(inner.calls.map((c) => c.batch.lines)).toEqual([3, 1]);
  });

  it('the linger counts from the first push of a group, not the last', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    void sink.write(batch('a v=1 1\n'));
    await vi.advanceTimersByTimeAsync(3);
    void sink.write(batch('b v=1 1\n'));
    await vi.advanceTimersByTimeAsync(2);
    expect(inner.calls.map((c) => c.batch.lines)).toEqual([2]);
    // A push after the write went starts the next group and its own linger.
    void sink.write(batch('c v=1 1\n'));
    await vi.advanceTimersByTimeAsync(4);
    expect(inner.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\nb v=1 1\n', 'c v=1 1\n']);
  });

  it('writes a group at once when it reaches the line bound, without waiting', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxLines: 3 });
    void sink.write(batch('a v=1 1\na v=2 2\n'));
    await settleMicrotasks();
    expect(inner.calls).toHaveLength(0);
    void sink.write(batch('b v=1 1\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.batch.lines)).toEqual([3]);
  });

  it('a push that would exceed the line bound sends the open group and starts the next', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxLines: 3 });
    void sink.write(batch('a v=1 1\na v=2 2\n'));
    void sink.write(batch('b v=1 1\nb v=2 2\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\na v=2 2\n']);
    await vi.advanceTimersByTimeAsync(5);
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\na v=2 2\n', 'b v=1 1\nb v=2 2\n']);
  });

  it('writes a group at once when it reaches the byte bound', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxBytes: 16 });
    void sink.write(batch('a v=1 1\n')); // 8 bytes
    await settleMicrotasks();
    expect(inner.calls).toHaveLength(0);
    void sink.write(batch('b v=1 1\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.batch.byteLength)).toEqual([16]);
  });

  it('a push that would exceed the byte bound goes in the next write; one over it alone goes at once', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxBytes: 12 });
    void sink.write(batch('a v=1 1\n'));
    void sink.write(batch('bb v=11 1\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\n']);
    void sink.write(batch('cccc v=1111 1\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\n', 'bb v=11 1\n', 'cccc v=1111 1\n']);
  });

  it('while maxWrites writes are in flight, a group past its linger keeps growing and goes when one is answered', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxWrites: 1 });
    void sink.write(batch('a v=1 1\n'));
    await vi.advanceTimersByTimeAsync(5);
    expect(inner.calls).toHaveLength(1);
    void sink.write(batch('b v=1 1\n'));
    await vi.advanceTimersByTimeAsync(20);
    void sink.write(batch('c v=1 1\n'));
    await vi.advanceTimersByTimeAsync(20);
    expect(inner.calls).toHaveLength(1);
    inner.calls[0]?.answer();
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\n', 'b v=1 1\nc v=1 1\n']);
  });

  it('a group that reaches a bound goes even while maxWrites writes are in flight', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, { ...OPTIONS, maxLines: 2, maxWrites: 1 });
    void sink.write(batch('a v=1 1\n'));
    await vi.advanceTimersByTimeAsync(5);
    void sink.write(batch('b v=1 1\n'));
    void sink.write(batch('c v=1 1\n'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual(['a v=1 1\n', 'b v=1 1\nc v=1 1\n']);
  });

  it('keeps each push a part of the combined batch, so its own gzip can be passed on', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const pushes = [batch('a v=1 1\n', true), batch('b v=1 1\n'), batch('c v=1 1\n', true)];
    for (const p of pushes) void sink.write(p);
    await vi.advanceTimersByTimeAsync(5);
    expect(inner.calls[0]?.batch.parts).toEqual(pushes);
  });

  it('an outage fails every push of the group', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const a = watch(sink.write(batch('a v=1 1\n')));
    const b = watch(sink.write(batch('b v=1 1\n')));
    await vi.advanceTimersByTimeAsync(5);
    const outage = new SinkUnavailableError('upstream unreachable: ECONNREFUSED');
    inner.calls[0]?.fail(outage);
    await settleMicrotasks();
    expect([a, b]).toEqual([
      { state: 'rejected', value: outage },
      { state: 'rejected', value: outage },
    ]);
    expect(inner.calls).toHaveLength(1);
  });

  it('a combined write refused as a bad request is written push by push, each answered for its own', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const good = watch(sink.write(batch('a v=1 1\n')));
    const bad = watch(sink.write(batch('b v="x" 1\n')));
    await vi.advanceTimersByTimeAsync(5);
    inner.calls[0]?.fail(new SinkRejectedError(400, 'field type conflict'));
    await settleMicrotasks();
    expect(inner.calls.map((c) => c.text)).toEqual([
      'a v=1 1\nb v="x" 1\n',
      'a v=1 1\n',
      'b v="x" 1\n',
    ]);
    expect([good.state, bad.state]).toEqual(['pending', 'pending']);
    inner.calls[2]?.fail(new SinkRejectedError(400, 'field type conflict'));
    await settleMicrotasks();
    expect(good.state).toBe('pending');
    expect(bad.state).toBe('rejected');
    inner.calls[1]?.answer();
    await settleMicrotasks();
    expect(good.state).toBe('resolved');
  });

  it('a database limit refusing part of a combined write is worked out per push', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const mine = watch(sink.write(batch('a v=1 1\n')));
    const theirs = watch(sink.write(batch('b,t=new v=1 1\n')));
    await vi.advanceTimersByTimeAsync(5);
    inner.calls[0]?.answer({ limit: 'max-values-per-tag', stored: 1, refused: 1, message: 'm' });
    await settleMicrotasks();
    expect(inner.calls).toHaveLength(3);
    const refused = { limit: 'max-values-per-tag', stored: 0, refused: 1, message: 'm' };
    inner.calls[1]?.answer();
    inner.calls[2]?.answer(refused);
    await settleMicrotasks();
    expect(mine).toEqual({ state: 'resolved', value: undefined });
    expect(theirs).toEqual({ state: 'resolved', value: refused });
  });

  it('a single refused push is answered with the database’s refusal, not written twice', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const only = watch(sink.write(batch('b v="x" 1\n')));
    await vi.advanceTimersByTimeAsync(5);
    const refusal = new SinkRejectedError(400, 'field type conflict');
    inner.calls[0]?.fail(refusal);
    await settleMicrotasks();
    expect(only).toEqual({ state: 'rejected', value: refusal });
    expect(inner.calls).toHaveLength(1);
  });

  it('a client gone before the write leaves the group; the write is aborted only when all are gone', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const goneEarly = new AbortController();
    const early = watch(sink.write(batch('a v=1 1\n'), goneEarly.signal));
    const first = new AbortController();
    const second = new AbortController();
    const b = watch(sink.write(batch('b v=1 1\n'), first.signal));
    const c = watch(sink.write(batch('c v=1 1\n'), second.signal));
    goneEarly.abort();
    await settleMicrotasks();
    expect(early.state).toBe('rejected');
    expect(early.value).toBeInstanceOf(SinkUnavailableError);
    await vi.advanceTimersByTimeAsync(5);
    const call = inner.calls[0] as Call;
    expect(call.text).toBe('b v=1 1\nc v=1 1\n');
    first.abort();
    await settleMicrotasks();
    expect(b.state).toBe('rejected');
    expect(call.signal?.aborted).toBe(false);
    second.abort();
    await settleMicrotasks();
    expect(c.state).toBe('rejected');
    expect(call.signal?.aborted).toBe(true);
  });

  it('a group whose every client left before the linger ends is never written', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const gone = new AbortController();
    void sink.write(batch('a v=1 1\n'), gone.signal).catch(() => {});
    gone.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect(inner.calls).toHaveLength(0);
  });

  it('close writes what waits at once, waits for it, then closes the database sink', async () => {
    const inner = new FakeSink();
    const sink = new GroupCommitSink(inner, OPTIONS);
    const a = watch(sink.write(batch('a v=1 1\n')));
    let closed = false;
    void sink.close().then(() => {
      closed = true;
    });
    await settleMicrotasks();
    expect(inner.calls).toHaveLength(1);
    expect(closed).toBe(false);
    expect(inner.closed).toBe(false);
    inner.calls[0]?.answer();
    await settleMicrotasks();
    expect(a.state).toBe('resolved');
    expect(closed).toBe(true);
    expect(inner.closed).toBe(true);
  });

  it('is wired around a database sink unless the linger is 0', async () => {
    const settings = {
      influxdbUrl: 'http://127.0.0.1:1/write?db=x',
      influxdbToken: '',
      upstreamTimeoutMs: 1000,
      upstreamGzip: true,
      upstreamGzipMinBytes: 1024,
      dataDir: '',
      retentionDays: 1,
      retentionBytes: 1,
      storeDatabase: 'x',
      groupCommitLingerMs: 2,
      groupCommitMaxLines: 10,
      groupCommitMaxBytes: 100,
      groupCommitMaxWrites: 2,
    };
    const grouped = await openSink(settings);
    expect(grouped).toBeInstanceOf(GroupCommitSink);
    const plain = await openSink({ ...settings, groupCommitLingerMs: 0 });
    expect(plain).not.toBeInstanceOf(GroupCommitSink);
    expect(plain.kind).toBe('influxdb-v1');
    await grouped.close();
    await plain.close();
  });
});

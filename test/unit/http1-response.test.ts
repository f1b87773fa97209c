import { describe, expect, it } from 'vitest';
import { MalformedResponseError, ResponseReader } from '../../src/ingest/sinks/http1-response.js';

/** Feeds `text` in pieces of `step` bytes; whether the reader saw the response complete. */
function feed(reader: ResponseReader, text: string, step = text.length): boolean {
  const bytes = Buffer.from(text, 'latin1');
  let complete = false;
  for (let i = 0; i < bytes.length; i += step) {
    complete = reader.push(bytes.subarray(i, i + step));
  }
  return complete;
}

describe('ResponseReader', () => {
  it('204 without a body: complete at the head, kept alive', () => {
    const r = new ResponseReader(1024);
    expect(r.started).toBe(false);
    expect(feed(r, 'HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 1.6.6\r\n\r\n')).toBe(true);
    expect(r).toMatchObject({ status: 204, keepAlive: true, trailing: false, started: true });
    expect(r.body()).toBe('');
  });

  it('a Content-Length body, byte by byte, with Retry-After (the first one)', () => {
    const r = new ResponseReader(1024);
    const text =
      'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nretry-after: 9\r\nContent-Length: 5\r\n\r\nbusy\n';
    expect(feed(r, text.slice(0, -1), 1)).toBe(false);
    expect(feed(r, text.slice(-1))).toBe(true);
    expect(r).toMatchObject({ status: 503, retryAfter: '7', keepAlive: true });
    expect(r.body()).toBe('busy\n');
  });

  it('a chunked body, split anywhere, with trailers', () => {
    const text =
      'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{"err\r\nb\r\nor":"bad"}\n\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (const step of [1, 3, 7, text.length]) {
      const r = new ResponseReader(1024);
      expect(feed(r, text, step)).toBe(true);
      expect(r.body()).toBe('{"error":"bad"}\n');
      expect(r.keepAlive).toBe(true);
    }
  });

  it('a body without a length is read until the connection ends, which is not reused', () => {
    const r = new ResponseReader(1024);
    expect(feed(r, 'HTTP/1.1 500 Internal Server Error\r\n\r\nengine on fire')).toBe(false);
    expect(r.end()).toBe(true);
    expect(r.body()).toBe('engine on fire');
    expect(r.keepAlive).toBe(false);
  });

  it('an end before the length arrived does not complete the response', () => {
    const r = new ResponseReader(1024);
    feed(r, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    expect(r.end()).toBe(false);
  });

  it('keeps at most the bound of a body, then is complete and not reused', () => {
    const r = new ResponseReader(4);
    expect(
      feed(r, `HTTP/1.1 400 Bad Request\r\nContent-Length: 1000\r\n\r\n${'e'.repeat(10)}`),
    ).toBe(true);
    expect(r).toMatchObject({ truncated: true, keepAlive: false });
    expect(r.body()).toBe('eeee');
  });

  it('Connection: close and HTTP/1.0 without keep-alive are not reused', () => {
    const closing = new ResponseReader(64);
    feed(closing, 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    expect(closing.keepAlive).toBe(false);
    const old = new ResponseReader(64);
    feed(old, 'HTTP/1.0 204 No Content\r\n\r\n');
    expect(old.keepAlive).toBe(false);
    const oldKept = new ResponseReader(64);
    feed(oldKept, 'HTTP/1.0 204 No Content\r\nConnection: Keep-Alive\r\n\r\n');
    expect(oldKept.keepAlive).toBe(true);
  });

  it('skips an interim 100 Continue', () => {
    const r = new ResponseReader(64);
    expect(feed(r, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', 5)).toBe(true);
    expect(r.status).toBe(204);
  });

  it('bytes past the response mark the connection untrustworthy', () => {
    const r = new ResponseReader(64);
    expect(feed(r, 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204')).toBe(true);
    expect(r.trailing).toBe(true);
  });

  it('refuses what is not HTTP/1.x', () => {
    for (const text of [
      'SSH-2.0-OpenSSH\r\n\r\n',
      'HTTP/1.1 204 No Content\r\nno colon\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      expect(() => feed(new ResponseReader(64), text)).toThrow(MalformedResponseError);
    }
    expect(() =>
      feed(new ResponseReader(64), `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`),
    ).toThrow(/head too large/);
  });
});

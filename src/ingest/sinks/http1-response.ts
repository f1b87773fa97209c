// Reads one HTTP/1.x response from the bytes of a connection: the status, the few headers the
// upstream sink acts on, and the start of the body up to a bound. Databases answer a write with
// a short head and at most a short message, so this is all the upstream client needs; the full
// machinery of node:http (streams, header objects, a parser per message) cost the ingest about
// 100 µs of CPU per database write.

/** Longest response head accepted (status line and headers). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size or trailer line accepted in a chunked body. */
const MAX_LINE_BYTES = 4 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const LF = 0x0a;

type BodyMode = 'none' | 'length' | 'chunked' | 'close';
type ChunkState = 'size' | 'data' | 'data-end' | 'trailer';

/** The upstream answered something that is not HTTP/1.x. */
export class MalformedResponseError extends Error {
  constructor(why: string) {
    super(`malformed upstream response: ${why}`);
  }
}

export class ResponseReader {
  status = 0;
  /** The first Retry-After header, as sent. */
  retryAfter: string | undefined;
  /** The connection may carry another request once the response is complete. */
  keepAlive = false;
  /** True once the whole response (or all of it that is kept) has been read. */
  complete = false;
  /** Bytes arrived past the response: the connection cannot be trusted for another request. */
  trailing = false;
  /** The body was longer than the bound: what is kept is its start, the rest is not read. */
  truncated = false;
  readonly #maxBody: number;
  #head: Buffer | undefined;
  #mode: BodyMode = 'none';
  #remaining = 0;
  #chunk: ChunkState = 'size';
  #line: Buffer | undefined;
  readonly #kept: Buffer[] = [];
  #keptBytes = 0;

  constructor(maxBodyBytes: number) {
    this.#maxBody = maxBodyBytes;
  }

  /** Some byte of an answer arrived: the upstream saw the request. */
  started = false;

  /** The body kept, as text. */
  body(): string {
    if (this.#kept.length === 0) return '';
    const bytes = this.#kept.length === 1 ? this.#kept[0] : Buffer.concat(this.#kept);
    return (bytes as Buffer).toString('utf8');
  }

  /** Reads bytes of the connection; true once the response is complete. */
  push(chunk: Buffer): boolean {
    this.started = true;
    let rest: Buffer | undefined = chunk;
    while (rest !== undefined && rest.length > 0) {
      if (this.complete) {
        this.trailing = true;
        return true;
      }
      rest = this.status === 0 ? this.#readHead(rest) : this.#readBody(rest);
    }
    return this.complete;
  }

  /** The connection ended: true when that ends the response (a body read until close). */
  end(): boolean {
    if (!this.complete && this.status !== 0 && this.#mode === 'close') this.#finish();
    return this.complete;
  }

  /** The head, once whole; the bytes after it (undefined while the head is incomplete). */
  #readHead(chunk: Buffer): Buffer | undefined {
    const prior = this.#head?.length ?? 0;
    const head = this.#head === undefined ? chunk : Buffer.concat([this.#head, chunk]);
    const end = head.indexOf(HEAD_END, Math.max(0, prior - 3));
    if (end < 0) {
      if (head.length > MAX_HEAD_BYTES) throw new MalformedResponseError('head too large');
      this.#head = head;
      return undefined;
    }
    this.#head = undefined;
    this.#parseHead(head.toString('latin1', 0, end));
    return head.subarray(end + HEAD_END.length);
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (status === null) throw new MalformedResponseError(JSON.stringify(lines[0]?.slice(0, 80)));
    const code = Number(status[2]);
    // An interim answer (100 Continue and the like) is followed by the real one.
    if (code >= 100 && code < 200 && code !== 101) return;
    let length: number | undefined;
    let chunked = false;
    let encoded = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedResponseError('header line without a name');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) {
          throw new MalformedResponseError('bad content-length');
        }
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        encoded = true;
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      } else if (name === 'connection') {
        connection += `${value.toLowerCase()},`;
      } else if (name === 'retry-after') {
        this.retryAfter ??= value;
      }
    }
    this.status = code;
    if (code === 204 || code === 304) this.#mode = 'none';
    else if (chunked) this.#mode = 'chunked';
    else if (encoded || length === undefined) this.#mode = 'close';
    else this.#mode = 'length';
    this.#remaining = length ?? 0;
    const tokens = connection.split(',').map((t) => t.trim());
    this.keepAlive =
      this.#mode !== 'close' &&
      (status[1] === '1' ? !tokens.includes('close') : tokens.includes('keep-alive'));
    if (this.#mode === 'none' || (this.#mode === 'length' && length === 0)) this.#finish();
  }

  /** Reads body bytes; what follows them (undefined when all were used). */
  #readBody(chunk: Buffer): Buffer | undefined {
    if (this.#mode === 'chunked') return this.#readChunked(chunk);
    if (this.#mode === 'close') {
      this.#keep(chunk);
      return undefined;
    }
    const take = Math.min(this.#remaining, chunk.length);
    this.#remaining -= take;
    this.#keep(chunk.subarray(0, take));
    if (this.#remaining === 0) this.#finish();
    return take < chunk.length ? chunk.subarray(take) : undefined;
  }

  #readChunked(chunk: Buffer): Buffer | undefined {
    if (this.#chunk === 'data') {
      const take = Math.min(this.#remaining, chunk.length);
      this.#remaining -= take;
      this.#keep(chunk.subarray(0, take));
      if (this.#remaining === 0) this.#chunk = 'data-end';
      return take < chunk.length ? chunk.subarray(take) : undefined;
    }
    const lf = chunk.indexOf(LF);
    const part = lf < 0 ? chunk : chunk.subarray(0, lf + 1);
    const line = this.#line === undefined ? part : Buffer.concat([this.#line, part]);
    if (lf < 0) {
      if (line.length > MAX_LINE_BYTES) throw new MalformedResponseError('chunk line too long');
      this.#line = line;
      return undefined;
    }
    this.#line = undefined;
    this.#chunkLine(line.toString('latin1').trim());
    return chunk.subarray(lf + 1);
  }

  /** A whole line of a chunked body, without its line end. */
  #chunkLine(line: string): void {
    if (this.#chunk === 'data-end') {
      if (line !== '') throw new MalformedResponseError('chunk without its line end');
      this.#chunk = 'size';
    } else if (this.#chunk === 'trailer') {
      if (line === '') this.#finish();
    } else {
      const size = /^[0-9a-fA-F]+/.exec(line);
      if (size === null) throw new MalformedResponseError('bad chunk size');
      this.#remaining = Number.parseInt(size[0], 16);
      this.#chunk = this.#remaining === 0 ? 'trailer' : 'data';
    }
  }

  #keep(bytes: Buffer): void {
    if (this.complete || bytes.length === 0) return;
    const room = this.#maxBody - this.#keptBytes;
    this.#kept.push(bytes.length > room ? bytes.subarray(0, room) : bytes);
    this.#keptBytes += Math.min(room, bytes.length);
    // Enough for a message: the rest is not read, and the connection is not reused.
    if (this.#keptBytes >= this.#maxBody) {
      this.truncated = true;
      this.keepAlive = false;
      this.#finish();
    }
  }

  #finish(): void {
    this.complete = true;
  }
}

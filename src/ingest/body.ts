import type { IncomingMessage } from 'node:http';
import { type DecoderOutput, GzipDecoder } from './body-decoder.js';
import { BodyRateFloor, type BodyRateLimits } from './body-rate.js';

export type ContentEncoding = 'identity' | 'gzip';

/** The encoding of a `Content-Encoding` value, or undefined when the server cannot decode it. */
export function contentEncoding(header: string | undefined): ContentEncoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  return undefined;
}

export interface BodyLimits {
  readonly maxRawBytes: number;
  readonly maxDecodedBytes: number;
}

export type BodyProblem =
  /** More bytes arrived than the raw cap; reading stopped, the connection must be closed. */
  | 'raw too large'
  /** Decoding passed the decoded cap. */
  | 'decoded too large'
  | 'invalid gzip'
  /** The consumer refused a chunk (e.g. an invalid line); the caller knows why. */
  | 'stopped'
  /** The client went away before the body was complete. */
  | 'aborted'
  /** `start` refused the body when it began to arrive; nothing more is read. */
  | 'busy'
  /** The body arrived more slowly than the floor; nothing more is read. */
  | 'too slow';

export interface BodyResult {
  /** Undefined when the whole body was read and consumed. */
  readonly problem: BodyProblem | undefined;
  readonly message: string;
  readonly rawBytes: number;
  readonly decodedBytes: number;
  /** False when unread body bytes may remain: answer with `Connection: close`. */
  readonly complete: boolean;
  /**
   * The gzip body as received, when `keepRaw` accepted every chunk, the body was read and
   * decoded without a problem, and the gzip data ended exactly at the body's end.
   */
  readonly raw: Buffer | undefined;
}

export interface ReadBodyOptions {
  /**
   * Gzip bodies only: asked before each received chunk is kept. Returning false (e.g. over a
   * memory budget) drops what was kept and keeps nothing more; the body is still read and
   * decoded. Keeping is bounded by the raw cap.
   */
  readonly keepRaw?: (chunk: Buffer) => boolean;
  /**
   * Asked once, when the first body bytes arrive (or at the end of an empty body): false stops
   * reading at once with the problem 'busy'.
   */
  readonly start?: () => boolean;
  /** The least rate the body must arrive at, measured from the call on. */
  readonly minRate?: BodyRateLimits;
}

/**
 * Reads a request body through two caps: the bytes received, and the bytes after gunzip.
 * Decompression of all but small bodies is streamed and stops at the cap, so a gzip bomb costs
 * at most the cap (plus one output chunk) of work and memory. After a problem the rest of the
 * body is read and thrown away without decoding (bounded by the raw cap), so the client can read
 * the answer on an intact connection; only a body over the raw cap, one `start` refused, or one
 * arriving below `minRate` is cut off at once.
 *
 * A gzip body can also be kept as received (`keepRaw`), for an upstream that takes gzip: then it
 * need not be compressed again. It is handed back only when it is exactly one or more complete
 * gzip members: Node's gunzip ignores trailing bytes such as zero padding, which the upstream's
 * decoder (Go's, for InfluxDB) would refuse.
 */
export function readBody(
  req: IncomingMessage,
  encoding: ContentEncoding,
  limits: BodyLimits,
  consume: (chunk: Buffer) => boolean,
  options: ReadBodyOptions = {},
): Promise<BodyResult> {
  return new Promise((resolve) => {
    new BodyReader(req, encoding, limits, consume, options, resolve).start();
  });
}

/** One body being read: received bytes are counted, kept, decoded, then consumed. */
class BodyReader implements DecoderOutput {
  readonly #req: IncomingMessage;
  readonly #limits: BodyLimits;
  readonly #consume: (chunk: Buffer) => boolean;
  readonly #resolve: (result: BodyResult) => void;
  readonly #decoder: GzipDecoder | undefined;
  #raw = 0;
  #decoded = 0;
  #problem: BodyProblem | undefined;
  #message = '';
  #requestEnded = false;
  #decoderEnded: boolean;
  #settled = false;
  /** Received bytes the decoder used; fewer than received means trailing bytes. */
  #decoderUsed = 0;
  #keepRaw: ((chunk: Buffer) => boolean) | undefined;
  #kept: Buffer[] = [];
  #startBody: (() => boolean) | undefined;
  readonly #minRate: BodyRateLimits | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  /** Bytes received per window, when a least rate applies. */
  #floor: BodyRateFloor | undefined;

  constructor(
    req: IncomingMessage,
    encoding: ContentEncoding,
    limits: BodyLimits,
    consume: (chunk: Buffer) => boolean,
    options: ReadBodyOptions,
    resolve: (result: BodyResult) => void,
  ) {
    this.#req = req;
    this.#limits = limits;
    this.#consume = consume;
    this.#resolve = resolve;
    const gzip = encoding === 'gzip';
    this.#decoder = gzip ? new GzipDecoder(limits.maxDecodedBytes, this, req) : undefined;
    this.#decoderEnded = !gzip;
    this.#keepRaw = gzip ? options.keepRaw : undefined;
    this.#startBody = options.start;
    this.#minRate = options.minRate;
  }

  start(): void {
    const req = this.#req;
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('close', this.#onClose);
    req.on('error', this.#onClose);
    const rate = this.#minRate;
    if (rate !== undefined && rate.minBytesPerSecond > 0 && !this.#settled) this.#watchRate(rate);
  }

  /** Checks the rate at the end of every window until the body is read. */
  #watchRate(limits: BodyRateLimits): void {
    this.#floor = new BodyRateFloor(limits);
    this.#rateTimer = setTimeout(this.#checkRate, limits.windowMs, limits.windowMs);
  }

  readonly #checkRate = (windowMs: number): void => {
    if (this.#settled) return;
    if (!this.#requestEnded && this.#floor?.windowEnded()) {
      if (this.#problem === undefined) {
        this.#problem = 'too slow';
        this.#message = 'body too slow';
      }
      this.#finish(false);
      return;
    }
    this.#rateTimer = setTimeout(this.#checkRate, windowMs, windowMs);
  };

  /** The first body bytes (or the end of an empty body): the caller may still refuse it. */
  #begin(): boolean {
    const start = this.#startBody;
    if (start === undefined) return true;
    this.#startBody = undefined;
    if (start()) return true;
    this.#problem = 'busy';
    this.#message = 'server busy';
    this.#finish(false);
    return false;
  }

  // DecoderOutput: what the gzip decoder reports.

  data(chunk: Buffer): void {
    if (this.#problem === undefined) this.#take(chunk);
  }

  invalid(message: string): void {
    this.#fail('invalid gzip', `invalid gzip: ${message}`);
  }

  tooLarge(): void {
    this.#decoded = this.#limits.maxDecodedBytes + 1;
    this.#fail('decoded too large', 'body too large');
  }

  end(used: number): void {
    this.#decoderUsed = used;
    this.#decoderEnded = true;
    if (this.#requestEnded) this.#finish(true);
  }

  // The request's events.

  readonly #onData = (chunk: Buffer): void => {
    this.#floor?.add(chunk.length);
    if (!this.#begin()) return;
    this.#raw += chunk.length;
    if (this.#raw > this.#limits.maxRawBytes) {
      if (this.#problem === undefined) {
        this.#problem = 'raw too large';
        this.#message = 'body too large';
      }
      this.#finish(false);
      return;
    }
    if (this.#problem !== undefined) return; // draining
    if (this.#keepRaw !== undefined) this.#keep(chunk, this.#keepRaw);
    if (this.#decoder !== undefined) this.#decoder.write(chunk);
    else this.#take(chunk);
  };

  readonly #onEnd = (): void => {
    if (!this.#begin()) return;
    this.#requestEnded = true;
    if (this.#problem === undefined) this.#decoder?.end();
    if (this.#problem !== undefined || this.#decoderEnded) this.#finish(true);
  };

  readonly #onClose = (): void => {
    if (this.#requestEnded) return;
    if (this.#problem === undefined) {
      this.#problem = 'aborted';
      this.#message = 'client closed the connection';
    }
    this.#finish(false);
  };

  #keep(chunk: Buffer, keepRaw: (chunk: Buffer) => boolean): void {
    if (keepRaw(chunk)) {
      this.#kept.push(chunk);
    } else {
      this.#keepRaw = undefined;
      this.#kept = [];
    }
  }

  #take(chunk: Buffer): void {
    this.#decoded += chunk.length;
    if (this.#decoded > this.#limits.maxDecodedBytes) {
      this.#fail('decoded too large', 'body too large');
    } else if (!this.#consume(chunk)) {
      this.#fail('stopped', 'stopped by consumer');
    }
  }

  /** The first problem wins; the rest of the body is then drained without decoding. */
  #fail(what: BodyProblem, why: string): void {
    if (this.#problem !== undefined) return;
    this.#problem = what;
    this.#message = why;
    this.#decoder?.stop();
    if (this.#requestEnded) this.#finish(true);
    else if (this.#req.isPaused()) this.#req.resume();
  }

  #finish(complete: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#rateTimer);
    this.#floor = undefined;
    const req = this.#req;
    req.off('data', this.#onData);
    req.off('end', this.#onEnd);
    req.off('close', this.#onClose);
    req.off('error', this.#onClose);
    const raw = this.#rawResult();
    this.#kept = [];
    this.#decoder?.stop();
    this.#resolve({
      problem: this.#problem,
      message: this.#message,
      rawBytes: this.#raw,
      decodedBytes: this.#decoded,
      complete,
      raw,
    });
  }

  /** The gzip as received, only when all of it was kept and it was exactly the gzip data. */
  #rawResult(): Buffer | undefined {
    if (this.#keepRaw === undefined || this.#problem !== undefined) return undefined;
    if (this.#decoderUsed !== this.#raw) return undefined;
    return this.#kept.length === 1 ? this.#kept[0] : Buffer.concat(this.#kept, this.#raw);
  }
}

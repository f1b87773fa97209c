import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';

/**
 * Reads a request body through two caps: the bytes received, and the bytes after gunzip.
 * Decompression of all but small bodies is streamed and stops at the cap, so a gzip bomb costs
 * at most the cap (plus one output chunk) of work and memory. After a problem the rest of the body is read and thrown
 * away without decoding (bounded by the raw cap), so the client can read the answer on an
 * intact connection; only a body over the raw cap is cut off at once.
 *
 * A gzip body can also be kept as received (`keepRaw`), for an upstream that takes gzip: then it
 * need not be compressed again. It is handed back only when it is exactly one or more complete
 * gzip members: Node's gunzip ignores trailing bytes such as zero padding, which the upstream's
 * decoder (Go's, for InfluxDB) would refuse.
 */

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
  | 'aborted';

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
}

/** Decoding output size per step; also the most a bomb can exceed the cap by. */
const GUNZIP_CHUNK = 64 * 1024;
/**
 * Gzip bodies up to this size are held until complete and decoded in one synchronous step: a
 * decoder stream per request cost more than the decoding itself (measured for a 4 KiB push of
 * 200 lines: 130 µs of CPU streamed, 40 µs in one step). Larger bodies are streamed.
 */
const SMALL_GZIP_BYTES = 64 * 1024;
/**
 * The most one synchronous step may produce. A small body that decodes to more (a bomb, or very
 * repetitive lines) is decoded again as a stream, where the decoded cap applies chunk by chunk:
 * the event loop is never blocked for more than decoding this much.
 */
const SYNC_MAX_DECODED = 1024 * 1024;

/** `gunzipSync` with `info: true` also returns the decoder (@types/node leaves this out). */
const gunzipWithInfo = gunzipSync as unknown as (
  body: Buffer,
  options: ZlibOptions & { info: true },
) => { buffer: Buffer; engine: { bytesWritten: number } };

export function readBody(
  req: IncomingMessage,
  encoding: ContentEncoding,
  limits: BodyLimits,
  consume: (chunk: Buffer) => boolean,
  options: ReadBodyOptions = {},
): Promise<BodyResult> {
  return new Promise((resolve) => {
    let raw = 0;
    let decoded = 0;
    let problem: BodyProblem | undefined;
    let message = '';
    let requestEnded = false;
    let decoderEnded = encoding === 'identity';
    let settled = false;
    /** Received bytes the decoder used; fewer than received means trailing bytes. */
    let decoderUsed = 0;

    // A gzip body is held (at most SMALL_GZIP_BYTES) until it ends or grows past that.
    let held: Buffer[] | undefined = encoding === 'gzip' ? [] : undefined;
    let gunzip: Gunzip | undefined;
    let waitingForDrain = false;
    let keepRaw = encoding === 'gzip' ? options.keepRaw : undefined;
    let kept: Buffer[] = [];

    const rawResult = (): Buffer | undefined => {
      if (keepRaw === undefined || problem !== undefined || decoderUsed !== raw) return undefined;
      return kept.length === 1 ? kept[0] : Buffer.concat(kept, raw);
    };
    const finish = (complete: boolean) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      const rawBody = rawResult();
      kept = [];
      held = undefined;
      stopDecoder();
      resolve({ problem, message, rawBytes: raw, decodedBytes: decoded, complete, raw: rawBody });
    };
    const fail = (what: BodyProblem, why: string) => {
      if (problem !== undefined) return;
      problem = what;
      message = why;
      held = undefined;
      stopDecoder();
      if (requestEnded) finish(true);
      else if (req.isPaused()) req.resume();
    };
    const stopDecoder = () => {
      if (gunzip !== undefined && !gunzip.destroyed) {
        gunzip.removeAllListeners('data');
        gunzip.removeAllListeners('drain');
        gunzip.destroy();
      }
    };
    const take = (chunk: Buffer) => {
      decoded += chunk.length;
      if (decoded > limits.maxDecodedBytes) {
        fail('decoded too large', 'body too large');
      } else if (!consume(chunk)) {
        fail('stopped', 'stopped by consumer');
      }
    };

    const feed = (chunk: Buffer) => {
      if (gunzip === undefined || gunzip.write(chunk) || waitingForDrain) return;
      waitingForDrain = true;
      req.pause();
      gunzip.once('drain', () => {
        waitingForDrain = false;
        req.resume();
      });
    };
    /** From here on the body is decoded as it arrives, starting with what was held. */
    const startStream = () => {
      const decoder = createGunzip({ chunkSize: GUNZIP_CHUNK });
      decoder.on('data', (chunk: Buffer) => {
        if (problem === undefined) take(chunk);
      });
      decoder.on('error', (error: Error) => fail('invalid gzip', `invalid gzip: ${error.message}`));
      decoder.on('end', () => {
        decoderUsed = decoder.bytesWritten;
        decoderEnded = true;
        if (requestEnded) finish(true);
      });
      gunzip = decoder;
      const pending = held ?? [];
      held = undefined;
      for (const chunk of pending) feed(chunk);
    };
    /** The whole (small) body is here: decode it in one step. */
    const decodeHeld = (chunks: Buffer[]) => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, raw);
      const cap = Math.min(limits.maxDecodedBytes, SYNC_MAX_DECODED);
      let output: Buffer;
      try {
        const result = gunzipWithInfo(body, { info: true, maxOutputLength: cap });
        output = result.buffer;
        decoderUsed = result.engine.bytesWritten;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
          fail('invalid gzip', `invalid gzip: ${(error as Error).message}`);
        } else if (cap === limits.maxDecodedBytes) {
          decoded = cap + 1;
          fail('decoded too large', 'body too large');
        } else {
          held = [body];
          startStream();
          gunzip?.end();
        }
        return;
      }
      decoderEnded = true;
      if (output.length > 0) take(output);
      finish(true);
    };

    const onData = (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limits.maxRawBytes) {
        if (problem === undefined) {
          problem = 'raw too large';
          message = 'body too large';
        }
        finish(false);
        return;
      }
      if (problem !== undefined) return; // draining
      if (keepRaw !== undefined) {
        if (keepRaw(chunk)) kept.push(chunk);
        else {
          keepRaw = undefined;
          kept = [];
        }
      }
      if (held !== undefined) {
        held.push(chunk);
        if (raw > SMALL_GZIP_BYTES) startStream();
      } else if (gunzip !== undefined) {
        feed(chunk);
      } else {
        take(chunk);
      }
    };
    const onEnd = () => {
      requestEnded = true;
      if (problem === undefined) {
        if (held !== undefined) return decodeHeld(held);
        gunzip?.end();
      }
      if (problem !== undefined || decoderEnded) finish(true);
    };
    const onClose = () => {
      if (requestEnded) return;
      if (problem === undefined) {
        problem = 'aborted';
        message = 'client closed the connection';
      }
      finish(false);
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}

// Gunzip of a request body under a cap on the decoded bytes, in one step for small bodies and
// as a stream for the rest.
import { createGunzip, type Gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';

/** Decoding output size per step; also the most a bomb can exceed the cap by. */
export const GUNZIP_CHUNK = 64 * 1024;
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

/** Where the decoder reports; every call comes after the body reader's own checks. */
export interface DecoderOutput {
  /** Decoded bytes, at most {@link GUNZIP_CHUNK} at a time when streamed. */
  data(chunk: Buffer): void;
  /** Not gzip, or damaged. */
  invalid(message: string): void;
  /** The one-step decoder passed the decoded cap (a stream reports its chunks instead). */
  tooLarge(): void;
  /** The gzip data ended, `used` bytes of the input into it (fewer: trailing bytes followed). */
  end(used: number): void;
}

/** What the decoder pauses while its stream is full, so a fast client cannot fill memory. */
export interface PausableSource {
  pause(): unknown;
  resume(): unknown;
}

/**
 * Decodes the received bytes written to it. Bodies up to SMALL_GZIP_BYTES are held and decoded
 * at `end` in one step; once more arrives, a stream takes over from what was held.
 */
export class GzipDecoder {
  readonly #maxDecoded: number;
  readonly #out: DecoderOutput;
  readonly #source: PausableSource;
  #held: Buffer[] | undefined = [];
  #heldBytes = 0;
  #stream: Gunzip | undefined;
  #waitingForDrain = false;

  constructor(maxDecoded: number, out: DecoderOutput, source: PausableSource) {
    this.#maxDecoded = maxDecoded;
    this.#out = out;
    this.#source = source;
  }

  write(chunk: Buffer): void {
    const held = this.#held;
    if (held === undefined) {
      this.#feed(chunk);
      return;
    }
    held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > SMALL_GZIP_BYTES) this.#startStream();
  }

  /** The whole body was written. */
  end(): void {
    if (this.#held !== undefined) this.#decodeHeld(this.#held);
    else this.#stream?.end();
  }

  /** Drops what is held and stops decoding; nothing more is reported. */
  stop(): void {
    this.#held = undefined;
    const stream = this.#stream;
    if (stream !== undefined && !stream.destroyed) {
      stream.removeAllListeners('data');
      stream.removeAllListeners('drain');
      stream.destroy();
    }
  }

  #feed(chunk: Buffer): void {
    const stream = this.#stream;
    if (stream === undefined || stream.write(chunk) || this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    this.#source.pause();
    stream.once('drain', () => {
      this.#waitingForDrain = false;
      this.#source.resume();
    });
  }

  /** From here on the body is decoded as it arrives, starting with what was held. */
  #startStream(): void {
    const stream = createGunzip({ chunkSize: GUNZIP_CHUNK });
    stream.on('data', (chunk: Buffer) => this.#out.data(chunk));
    stream.on('error', (error: Error) => this.#out.invalid(error.message));
    stream.on('end', () => this.#out.end(stream.bytesWritten));
    this.#stream = stream;
    const pending = this.#held ?? [];
    this.#held = undefined;
    for (const chunk of pending) this.#feed(chunk);
  }

  /** The whole (small) body is here: decode it in one step. */
  #decodeHeld(chunks: Buffer[]): void {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const cap = Math.min(this.#maxDecoded, SYNC_MAX_DECODED);
    let output: Buffer;
    let used: number;
    try {
      const result = gunzipWithInfo(body, { info: true, maxOutputLength: cap });
      output = result.buffer;
      used = result.engine.bytesWritten;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
        this.#out.invalid((error as Error).message);
      } else if (cap === this.#maxDecoded) {
        this.#out.tooLarge();
      } else {
        this.#held = [body];
        this.#startStream();
        this.#stream?.end();
      }
      return;
    }
    if (output.length > 0) this.#out.data(output);
    this.#out.end(used);
  }
}

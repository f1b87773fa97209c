import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

/**
 * Reads a request body through two caps: the bytes received, and the bytes after gunzip.
 * Decompression is streamed and stops at the cap, so a gzip bomb costs at most the cap (plus
 * one output chunk) of work and memory. After a problem the rest of the body is read and thrown
 * away without decoding (bounded by the raw cap), so the client can read the answer on an
 * intact connection; only a body over the raw cap is cut off at once.
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
}

/** Decoding output size per step; also the most a bomb can exceed the cap by. */
const GUNZIP_CHUNK = 64 * 1024;

export function readBody(
  req: IncomingMessage,
  encoding: ContentEncoding,
  limits: BodyLimits,
  consume: (chunk: Buffer) => boolean,
): Promise<BodyResult> {
  return new Promise((resolve) => {
    let raw = 0;
    let decoded = 0;
    let problem: BodyProblem | undefined;
    let message = '';
    let requestEnded = false;
    let decoderEnded = encoding === 'identity';
    let settled = false;

    const gunzip = encoding === 'gzip' ? createGunzip({ chunkSize: GUNZIP_CHUNK }) : undefined;

    const finish = (complete: boolean) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      stopDecoder();
      resolve({ problem, message, rawBytes: raw, decodedBytes: decoded, complete });
    };
    const fail = (what: BodyProblem, why: string) => {
      if (problem !== undefined) return;
      problem = what;
      message = why;
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
      if (gunzip === undefined) {
        take(chunk);
      } else if (!gunzip.write(chunk)) {
        req.pause();
        gunzip.once('drain', () => req.resume());
      }
    };
    const onEnd = () => {
      requestEnded = true;
      if (problem === undefined && gunzip !== undefined) gunzip.end();
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

    if (gunzip !== undefined) {
      gunzip.on('data', (chunk: Buffer) => {
        if (problem === undefined) take(chunk);
      });
      gunzip.on('error', (error: Error) => fail('invalid gzip', `invalid gzip: ${error.message}`));
      gunzip.on('end', () => {
        decoderEnded = true;
        if (requestEnded) finish(true);
      });
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}

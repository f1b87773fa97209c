// An admitted push: its body read through the caps and the in-flight budget into the validator,
// then written to the sink; answered only once the sink has stored it.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type BodyResult, readBody } from '../body.js';
import type { BodyRateLimits } from '../body-rate.js';
import type { Logger } from '../logger.js';
import type { IngestMetrics } from '../metrics.js';
import { type RefusedLines, type Sink, SinkRejectedError } from '../sinks/sink.js';
import type { ValidationSuccess } from '../validate/result.js';
import { LineValidator } from '../validate/validate.js';
import type { Admitted } from './admission.js';
import type { BudgetClaim, InFlightBudget } from './budget.js';
import {
  BODY_TOO_SLOW,
  bodyTooLarge,
  busy,
  INTERNAL_ERROR,
  invalidBody,
  invalidGzip,
  limitRefused,
  type Replies,
  type Reply,
  sinkFailed,
} from './replies.js';

export interface PushLimits {
  readonly maxBodyBytes: number;
  readonly maxDecodedBytes: number;
  readonly maxLines: number;
  readonly maxLineBytes: number;
  readonly retryAfterSeconds: number;
  /** The least rate a body must arrive at. */
  readonly bodyRate: BodyRateLimits;
}

export interface PushContext {
  readonly limits: PushLimits;
  readonly budget: InFlightBudget;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  readonly replies: Replies;
}

const KEEP_OPEN: OutgoingHttpHeaders = Object.freeze({});
const CLOSE: OutgoingHttpHeaders = Object.freeze({ connection: 'close' });

/**
 * One abort signal per client connection, aborted when it closes: every push on it that is
 * still waiting for the database is then gone. A signal per push cost about 5 µs of CPU to
 * create, a close listener per push more on top.
 */
const connectionGone = new WeakMap<Socket, AbortController>();

/** The signal of `req`'s connection; undefined once that is already closed (nothing to stop). */
function goneSignal(req: IncomingMessage): AbortSignal | undefined {
  // The request's socket, not the response's: a pipelined response gets its socket only when
  // the answers before it are written.
  const socket = req.socket;
  if (socket.destroyed) return undefined;
  let gone = connectionGone.get(socket);
  if (gone === undefined) {
    const controller = new AbortController();
    socket.once('close', () => controller.abort());
    connectionGone.set(socket, controller);
    gone = controller;
  }
  return gone.signal;
}

/** Handles a push that passed admission, storing it in the sink admission chose. */
export async function handlePush(
  req: IncomingMessage,
  res: ServerResponse,
  admitted: Admitted,
  ctx: PushContext,
): Promise<void> {
  const { sink, fields } = admitted;
  const claim = ctx.budget.claim(sink.forwardsGzip === true, admitted.clients);
  ctx.metrics.inFlight.add(1);
  try {
    // Lines without a time pass on without one: a database stamps them itself, and the
    // embedded store gives each its own.
    const validator = new LineValidator({
      maxLines: ctx.limits.maxLines,
      maxLineLength: ctx.limits.maxLineBytes,
    });
    const body = await readValidated(req, admitted, validator, claim, ctx);
    if (body.problem === 'aborted') return ctx.replies.aborted(fields);
    // Unread body bytes may remain: the connection cannot be reused.
    const close = body.complete ? KEEP_OPEN : CLOSE;
    const refused = bodyRefusal(body, claim.overBudget, close);
    if (refused !== undefined) return ctx.replies.reply(res, refused, fields);
    const result = validator.end();
    if (!result.ok) {
      ctx.metrics.invalidLines.inc([result.reason]);
      return ctx.replies.reply(res, invalidBody(result, close), fields);
    }
    const stored = await store(res, sink, result, body, ctx, fields);
    if ('status' in stored) return ctx.replies.reply(res, stored, fields);
    ctx.replies.stored(res, result, fields, stored.refused);
  } finally {
    claim.release();
    ctx.metrics.inFlight.add(-1);
  }
}

/**
 * Reads the body into the validator: the push's slot is taken when the body begins to arrive,
 * and each decoded chunk is reserved in the budget first.
 */
async function readValidated(
  req: IncomingMessage,
  admitted: Admitted,
  validator: LineValidator,
  claim: BudgetClaim,
  ctx: PushContext,
): Promise<BodyResult> {
  const body = await readBody(
    req,
    admitted.encoding,
    { maxRawBytes: ctx.limits.maxBodyBytes, maxDecodedBytes: ctx.limits.maxDecodedBytes },
    (chunk) => claim.takeDecoded(chunk) && validator.push(chunk),
    { keepRaw: claim.keepRaw, start: () => claim.start(), minRate: ctx.limits.bodyRate },
  );
  ctx.metrics.bytes.inc(['raw'], body.rawBytes);
  ctx.metrics.bytes.inc(['decoded'], body.decodedBytes);
  return body;
}

/**
 * The answer for a body that could not be read whole; undefined when it was, or when the
 * validator stopped it (then its failure is the answer).
 */
function bodyRefusal(
  body: BodyResult,
  overBudget: boolean,
  close: OutgoingHttpHeaders,
): Reply | undefined {
  switch (body.problem) {
    case 'raw too large':
    case 'decoded too large':
      return bodyTooLarge(close);
    case 'invalid gzip':
      return invalidGzip(body.message, close);
    case 'stopped':
      return overBudget ? busy(close) : undefined;
    case 'busy':
      return busy(close);
    case 'too slow':
      return BODY_TOO_SLOW;
    default:
      return undefined;
  }
}

/**
 * Writes the lines to the sink, aborting the write when the client goes away first (its
 * connection closes). What a database limit refused of them when the rest is stored, else the
 * answer for the failure.
 */
async function store(
  res: ServerResponse,
  sink: Sink,
  result: ValidationSuccess,
  body: BodyResult,
  ctx: PushContext,
  fields: Admitted['fields'],
): Promise<Reply | { readonly refused?: RefusedLines }> {
  const started = performance.now();
  try {
    // Nothing normalised or skipped, and no newline added at the end: the lines forwarded are
    // the decoded body byte for byte, so the client's gzip is them.
    const unchanged =
      result.normalisedLines === 0 &&
      result.skippedLines === 0 &&
      result.byteLength === body.decodedBytes;
    const batch = {
      pieces: result.pieces,
      byteLength: result.byteLength,
      lines: result.lines,
      gzip: unchanged ? body.raw : undefined,
    };
    const refused = (await sink.write(batch, goneSignal(res.req))) ?? undefined;
    ctx.metrics.upstreamRequests.inc([sink.kind, refused?.stored === 0 ? 'limited' : 'ok']);
    if (refused === undefined) return {};
    ctx.metrics.limitRefusedLines.inc([refused.limit], refused.refused);
    return refused.stored === 0 ? limitRefused(refused, ctx.limits.retryAfterSeconds) : { refused };
  } catch (error) {
    const outcome = error instanceof SinkRejectedError ? 'rejected' : 'unavailable';
    ctx.metrics.upstreamRequests.inc([sink.kind, outcome]);
    const reply = sinkFailed(error, ctx.limits.retryAfterSeconds);
    if (reply !== undefined) return reply;
    ctx.log.error('sink failed unexpectedly', { error, ...fields });
    return INTERNAL_ERROR;
  } finally {
    ctx.metrics.upstreamDuration.observe([sink.kind], (performance.now() - started) / 1000);
  }
}

// The ingest's last resort: an error nothing else caught is logged and the process goes on
// serving. Every known failure path of a sink is answered as a 503 already; this is for the one
// nobody foresaw, which would otherwise end the process for every client at once (and again
// at every later write of the same kind). Installed by the command only, never by the library,
// which must not change how a host application handles its own errors.
import type { Logger } from './logger.js';

/** The part of `process` the handlers attach to. */
export interface ErrorEvents {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
}

/** Logs unhandled rejections and uncaught exceptions instead of exiting; returns the count seen. */
export function keepServingOnUnhandledErrors(events: ErrorEvents, log: Logger): () => number {
  let seen = 0;
  events.on('unhandledRejection', (reason) => {
    seen++;
    log.error('unhandled rejection, still serving', { error: describe(reason) });
  });
  events.on('uncaughtException', (error) => {
    seen++;
    log.error('uncaught exception, still serving', { error: describe(error) });
  });
  return () => seen;
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  return String(reason);
}

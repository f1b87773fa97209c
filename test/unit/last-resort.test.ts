import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { keepServingOnUnhandledErrors } from '../../src/ingest/last-resort.js';
import type { LogFields, Logger } from '../../src/ingest/logger.js';

function recordingLogger(): { log: Logger; errors: Array<[string, LogFields | undefined]> } {
  const errors: Array<[string, LogFields | undefined]> = [];
  const ignore = () => {};
  return {
    errors,
    log: {
      debug: ignore,
      info: ignore,
      warn: ignore,
      error: (msg, f) => void errors.push([msg, f]),
    },
  };
}

describe('keepServingOnUnhandledErrors', () => {
  it('logs an unhandled rejection and an uncaught exception with their stacks, and counts them', () => {
    const events = new EventEmitter();
    const { log, errors } = recordingLogger();
    const seen = keepServingOnUnhandledErrors(events, log);
    // With a listener attached, emitting is all Node does: nothing exits.
    events.emit('unhandledRejection', new Error('EACCES: permission denied, unlink'));
    events.emit('uncaughtException', new TypeError('boom'));
    events.emit('unhandledRejection', 'a plain string');
    expect(seen()).toBe(3);
    expect(errors.map(([msg]) => msg)).toEqual([
      'unhandled rejection, still serving',
      'uncaught exception, still serving',
      'unhandled rejection, still serving',
    ]);
    expect(String(errors[0]?.[1]?.error)).toMatch(
      /^Error: EACCES: permission denied, unlink\n\s+at /,
    );
    expect(errors[1]?.[1]?.error).toMatch(/^TypeError: boom/);
    expect(errors[2]?.[1]).toEqual({ error: 'a plain string' });
  });
});

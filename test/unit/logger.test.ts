import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/ingest/logger.js';

describe('createJsonLogger', () => {
  it('writes one JSON object per line, filtered by level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'warn',
      write: (l) => lines.push(l),
      clock: () => new Date(0),
    });
    log.info('hidden');
    log.warn('refused', { status: 400, id: 5n, error: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'refused',
      status: 400,
      id: '5',
      error: { name: 'Error', message: 'boom' },
    });
  });
});

// The demo's bounds hold: a store that fills up, or a collector that never answers, cannot keep
// the demo from finishing, and it says what did not arrive.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS } from '../../examples/demo/cli-options.js';
import { DEMO_LIMITS, runDemo } from '../../examples/demo/demo.js';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'nbom-demo-bounds-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('demo bounds', () => {
  it('a full store: the final pushes stop at their deadline and the missing samples are reported', async () => {
    await withDir(async (dir) => {
      let out = '';
      const warnings: string[] = [];
      const started = performance.now();
      const run = await runDemo(
        { ...DEMO_DEFAULTS, peers: 30, durationSeconds: 1, dataDir: dir },
        { write: (t) => (out += t), interactive: false, warn: (t) => warnings.push(t), env: {} },
        { ...DEMO_LIMITS, storeBytes: 40_000, finalFlushMs: 800 },
      );
      await run.stop();
      const recorded = Number(/(\d+) samples recorded/.exec(out)?.[1]);
      const unsent = Number(/(\d+) NOT pushed/.exec(out)?.[1]);
      expect(unsent, out).toBeGreaterThan(0);
      // The summary covers what the store kept, and that is everything that was not reported missing.
      expect(run.samples.length).toBeGreaterThan(0);
      expect(run.samples.length + unsent).toBe(recorded);
      // The ingest says why, once, however many pushes it refused.
      const full = warnings.filter((w) => w.includes('embedded store is full'));
      expect(full, warnings.join('\n')).toHaveLength(1);
      expect(full[0]).toMatch(/^ingest error: push not stored \(503\)/);
      console.log(
        `full store: ${unsent} of ${recorded} not pushed; demo took ${Math.round(performance.now() - started)} ms`,
      );
    });
  });

  it('a collector that never answers: the OTLP flush stops at its deadline and says so', async () => {
    const silent = createServer(() => {}); // accepts requests, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await withDir(async (dir) => {
        let out = '';
        const run = await runDemo(
          { ...DEMO_DEFAULTS, peers: 5, durationSeconds: 1, dataDir: dir },
          {
            write: (t) => (out += t),
            interactive: false,
            warn: () => {},
            env: {
              NB_METRICS_EXPORTER: 'otlp',
              OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics`,
            },
          },
          { ...DEMO_LIMITS, otelFlushMs: 300, stopMs: 300 },
        );
        expect(out).toContain(
          `OTLP: the export to http://127.0.0.1:${port}/v1/metrics did not go through`,
        );
        expect(out).toContain("Summary (read back from the clients' own buffers");
        silent.closeAllConnections();
        await run.stop();
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

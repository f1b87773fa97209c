// The demo's bounds hold: a store that fills up, or a collector that never answers, cannot keep
// the demo from finishing, and it says what did not arrive.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagLogLevel, diag } from '@opentelemetry/api';
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
          `OTLP: the export to http://127.0.0.1:${port}/v1/metrics did not go through within 0.3 s`,
        );
        // The SDK's own warning comes later, if ever: nothing may point up to it.
        expect(out).not.toMatch(/^OTLP: .*above/m);
        expect(out).toContain("Summary (read back from the clients' own buffers");
        expect(out.trimEnd().split('\n').at(-1)).toMatch(/^ {2}login success rate /);
        silent.closeAllConnections();
        await run.stop();
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a collector that refuses the export: the note points up to the OTel warning', async () => {
    const refusing = createServer((_req, res) => {
      res.statusCode = 400;
      res.end('no');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const { port } = refusing.address() as AddressInfo;
    // What the demo's command does: OTel's warnings are printed as they come, and counted.
    const lines: string[] = [];
    const record = (message: string) => {
      lines.push(`otel: ${message}`);
    };
    diag.setLogger(
      { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      await withDir(async (dir) => {
        const run = await runDemo(
          { ...DEMO_DEFAULTS, peers: 5, durationSeconds: 1, dataDir: dir },
          {
            write: (t) => lines.push(...t.trimEnd().split('\n')),
            interactive: false,
            warn: () => {},
            otelProblems: () => lines.filter((l) => l.startsWith('otel: ')).length,
            env: {
              NB_METRICS_EXPORTER: 'otlp',
              OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics`,
            },
          },
          { ...DEMO_LIMITS, otelFlushMs: 5_000, stopMs: 300 },
        );
        await run.stop();
        const note = lines.findIndex((l) =>
          l.startsWith(
            `OTLP: the export to http://127.0.0.1:${port}/v1/metrics did not go through`,
          ),
        );
        expect(note, lines.join('\n')).toBeGreaterThan(0);
        expect(lines[note]).toContain('the OTel warnings above say why');
        expect(lines.slice(0, note).some((l) => l.startsWith('otel: '))).toBe(true);
      });
    } finally {
      diag.disable();
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});

// The demo, end to end: an ingest server with its embedded store, `/config` and `/dashboard`;
// a simulated fleet whose clients record through `ClientMetrics` and push exactly as NetBird
// clients do (remote config, X-Peer-ID, gzip, retries); then a summary read back from the store.
// `NB_METRICS_EXPORTER` switches what the clients export (OTel exporters share one
// MeterProvider here, since the simulated clients share one process).
import { createServer } from 'node:net';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  buildPipeline,
  type ClientMetrics,
  createClientMetrics,
  type Pipeline,
  resolveConfig,
  type Sample,
} from 'netbird-otel-metrics';
import {
  createDashboardHandler,
  createIngestServer,
  EmbeddedStore,
  type IngestServer,
  samplesSource,
} from 'netbird-otel-metrics/ingest';
import type { DemoOptions } from './cli-options.js';
import { planFleet } from './fleet.js';
import { formatProgress } from './progress.js';
import { FleetPlayer, runFleet, SimClock, windowStart } from './runner.js';
import { prepareDemoDataDir } from './store-dir.js';
import { type DemoSummary, formatSummary, summarize } from './summary.js';

export interface DemoIo {
  /** Writes text as is (lines end in \n). */
  write(text: string): void;
  /** Rewrite the progress line in place (a terminal) or print a line per update. */
  interactive: boolean;
  /** Problems worth a line of their own (stderr for the command). */
  warn(text: string): void;
  /** How many problems the OTel SDK has reported so far (through `diag`), if anyone counts. */
  otelProblems?: () => number;
  env: Readonly<Record<string, string | undefined>>;
}

export interface DemoRun {
  readonly summary: DemoSummary;
  /** The samples the summary was computed from. */
  readonly samples: readonly Sample[];
  /** Where the summary came from. */
  readonly summarySource: string;
  readonly ingestUrl: string;
  readonly dashboardUrl: string;
  readonly dataDir: string;
  /** OTel exporters in use besides the push (`otlp`, `prometheus`, `console`). */
  readonly otelExporters: readonly string[];
  /** Stops the ingest server and the OTel pipeline. Idempotent. */
  stop(): Promise<void>;
}

/** The demo's own bounds; tests shrink them to see that each holds. */
export interface DemoLimits {
  /** How long the final pushes may take before the demo reports what is missing. */
  finalFlushMs: number;
  /** How long the final OTel export may take (an unreachable collector retries for long). */
  otelFlushMs: number;
  /** Most bytes the embedded store keeps. */
  storeBytes: number;
  /** How long stopping may wait for the OTel exporters. */
  stopMs: number;
}

export const DEMO_LIMITS: DemoLimits = {
  finalFlushMs: 15_000,
  otelFlushMs: 5_000,
  storeBytes: 1024 ** 3,
  stopMs: 3_000,
};

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function runDemo(
  options: DemoOptions,
  io: DemoIo,
  limits: DemoLimits = DEMO_LIMITS,
): Promise<DemoRun> {
  // What the clients export, from NB_METRICS_EXPORTER and OTEL_* (as a client would read them).
  const config = resolveConfig(io.env);
  if (!config.ok) {
    throw new Error(`invalid exporter configuration:\n  ${config.errors.join('\n  ')}`);
  }
  const pushing = config.value.exporters.has('influx');
  const otelExporters = [...config.value.exporters].filter((e) => e !== 'influx');
  const dataDir = await prepareDemoDataDir(options.dataDir);
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const ingestUrl = `http://${urlHost(options.host)}:${port}`;
  const dashboardUrl = `${ingestUrl}/dashboard`;

  // Everything opened from here on is closed by stop(), also when starting fails half-way.
  let pipeline: Pipeline | undefined;
  let store: EmbeddedStore | undefined;
  let server: IngestServer | undefined;
  let stopped: Promise<void> | undefined;
  // Readers already shut down (a second shutdown is an OTel error), or given up on.
  const finished = new Set<IMetricReader>();
  const stop = () => {
    stopped ??= (async () => {
      if (server)
        await server.close(); // closes the store too
      else await store?.close();
      // The push exporters made their final export before the summary; what is left serves
      // requests (Prometheus). Do not wait long on an exporter that hangs.
      const rest = (pipeline?.readers ?? []).filter((r) => !finished.has(r));
      await shutdownReaders(rest, limits.stopMs, finished);
    })();
    return stopped;
  };

  try {
    pipeline = buildPipeline(config.value);
    await pipeline?.ready;
    const opened = await EmbeddedStore.open({
      dataDir,
      retentionDays: 30,
      retentionBytes: limits.storeBytes,
    });
    store = opened;
    const readAll = (from?: number, to?: number): AsyncIterable<Sample> =>
      opened.readSamples({
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
    const dashboard = createDashboardHandler({
      source: samplesSource(`embedded store (${dataDir})`, (range) =>
        // The store's upper bound is exclusive, the dashboard's inclusive.
        readAll(range.from, range.to + 1),
      ),
    });
    server = createIngestServer({
      sink: opened,
      routes: [dashboard],
      configServerUrl: ingestUrl,
      configPeriodMinutes: 1,
      // Every simulated client pushes from 127.0.0.1: per-address and per-peer limits would
      // throttle the demo, not protect it.
      peerRatePerMinute: 0,
      addressRatePerMinute: 0,
      maxConcurrentRequests: 512,
      clientSharePercent: 100,
      logger: ingestLogger(io),
    });
    await server.listen(port, options.host);

    const windowMs = options.windowMinutes * 60_000;
    const durationMs = options.durationSeconds * 1000;
    const plan = planFleet({ peers: options.peers, windowMs, seed: options.seed });
    // The window ends when the run ends, so the dashboard's "last 1h" shows all of it.
    const simStart = windowStart(Date.now() + durationMs, windowMs);
    const clock = new SimClock(simStart);
    // Read by startPush() when each simulated daemon comes up, as a NetBird client reads them.
    const clientEnv = {
      NB_METRICS_CONFIG_URL: `${ingestUrl}/config`,
      NB_METRICS_INTERVAL: `${options.pushIntervalSeconds}s`,
    };
    const clients: ClientMetrics[] = plan.peers.map((peer) =>
      createClientMetrics({
        version: peer.version,
        os: peer.os,
        arch: peer.arch,
        clock: clock.now,
        env: clientEnv,
        exporters: pushing ? ['influx'] : ['none'],
        ...(pipeline ? { meterProvider: pipeline.meterProvider } : {}),
      }),
    );

    io.write(
      `NetBird metrics demo: ${options.peers} simulated clients, ${options.windowMinutes} min of fleet activity in ${options.durationSeconds} s\n` +
        `  ingest ${ingestUrl} (embedded store ${dataDir}, /config served)\n` +
        `  exporters: ${[...config.value.exporters].join(', ') || 'none'}${pushing ? ` (push every ${options.pushIntervalSeconds} s)` : ''}\n`,
    );
    const pushTotals = () => {
      let samples = 0;
      let requests = 0;
      for (const c of clients) {
        const p = c.stats().push;
        samples += p.samplesSent;
        requests += p.requests;
      }
      return { samples, requests };
    };
    let lastPrinted = -1;
    // Each client starts pushing when its daemon comes up, so pushes spread out as in a fleet.
    const player = new FleetPlayer(plan, clients, clock, simStart, (client) => {
      if (pushing) client.startPush();
    });
    const started = performance.now();
    await runFleet(player, windowMs, {
      durationMs,
      onTick: (tally, elapsed) => {
        const second = Math.floor(elapsed / 1000);
        if (!io.interactive && second === lastPrinted) return;
        lastPrinted = second;
        const pushed = pushTotals();
        const line = formatProgress({
          elapsedMs: elapsed,
          durationMs,
          simTime: clock.now(),
          peers: options.peers,
          tally,
          pushedSamples: pushed.samples,
          pushRequests: pushed.requests,
        });
        io.write(io.interactive ? `\r\u001b[2K${line}` : `${line}\n`);
      },
    });
    if (io.interactive) io.write('\n');

    // Final pushes: what was recorded since each client's last cycle.
    const flushDeadline = Date.now() + limits.finalFlushMs;
    if (pushing) {
      while (clients.some((c) => c.store.size > 0) && Date.now() < flushDeadline) {
        await Promise.all(clients.map((c) => c.forceFlush()));
        // A client waiting out a Retry-After returns at once; do not spin.
        if (clients.some((c) => c.store.size > 0)) await new Promise((r) => setTimeout(r, 200));
      }
    }
    const unsent = clients.reduce((n, c) => n + c.store.size, 0);
    const recorded = clients.reduce((n, c) => n + c.stats().recorded, 0);
    // Collection is always on: without the push, the clients' own buffers are what there is.
    const local = pushing ? [] : clients.flatMap((c) => c.store.samples());
    await Promise.all(clients.map((c) => c.shutdown()));
    const otel = await finalOtelExport(pipeline, limits.otelFlushMs, finished, io.otelProblems);
    const pushed = pushTotals();
    io.write(
      `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${recorded} samples recorded` +
        (pushing
          ? `, ${pushed.samples} pushed in ${pushed.requests} requests${unsent > 0 ? `, ${unsent} NOT pushed (any warnings of the ingest are above)` : ''}`
          : '') +
        '\n',
    );

    let samples: Sample[];
    let summarySource: string;
    if (pushing) {
      samples = [];
      for await (const s of readAll()) samples.push(s);
      summarySource = `the ingest's embedded store, ${dataDir}`;
    } else {
      samples = local;
      summarySource =
        "the clients' own buffers: NB_METRICS_EXPORTER has no influx, so nothing was pushed";
    }
    const summary = summarize(samples);
    const notes = exporterNotes(config.value, {
      otel: otelExporters,
      outcome: otel,
      flushMs: limits.otelFlushMs,
      serve: options.serve,
    });
    for (const line of [...notes, whatNext(options.serve, dashboardUrl, dataDir)]) {
      io.write(`${line}\n`);
    }
    // Last, where a terminal leaves it in view.
    io.write(`\n${formatSummary(summary, summarySource)}`);
    return {
      summary,
      samples,
      summarySource,
      ingestUrl,
      dashboardUrl,
      dataDir,
      otelExporters,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The dashboard URL only while it is served; otherwise how to keep it. */
function whatNext(serve: boolean, dashboardUrl: string, dataDir: string): string {
  return serve
    ? `Dashboard: ${dashboardUrl} (served until Ctrl-C)`
    : `The ingest and its dashboard stop after this summary (\`npm start -- --serve\` keeps them running); the raw line protocol stays in ${dataDir}`;
}

/** The ingest's warnings and errors (e.g. a full store), each distinct one once, as plain text. */
function ingestLogger(io: DemoIo) {
  const seen = new Set<string>();
  const note = (level: string) => (msg: string, fields?: Readonly<Record<string, unknown>>) => {
    const detail = fields?.error === undefined ? '' : `: ${String(fields.error)}`;
    const text = `ingest ${level}: ${msg}${fields?.status === undefined ? '' : ` (${String(fields.status)})`}${detail}`;
    if (seen.has(text) || seen.size >= 20) return;
    seen.add(text);
    io.warn(text);
  };
  const ignore = () => {};
  return { debug: ignore, info: ignore, warn: note('warning'), error: note('error') };
}

/** What became of the final OTel export: none to make, done, failed (OTel said why), or too slow. */
type OtelOutcome = 'none' | 'exported' | 'failed' | 'timeout';

/**
 * Shuts down `readers`, each given at most `ms`; true if all finished in time. Each is added to
 * `finished` either way: one that timed out still has its export running, and a second shutdown
 * would only start another.
 */
async function shutdownReaders(
  readers: readonly IMetricReader[],
  ms: number,
  finished: Set<IMetricReader>,
): Promise<boolean> {
  for (const r of readers) finished.add(r);
  const results = await Promise.allSettled(readers.map((r) => r.shutdown({ timeoutMillis: ms })));
  return results.every((r) => r.status === 'fulfilled');
}

/**
 * The push exporters' (OTLP, console) last export, by shutting their readers down: one export
 * of everything, after which they print and send nothing more, so the summary stays the last
 * output. Prometheus keeps serving until stop().
 */
async function finalOtelExport(
  pipeline: Pipeline | undefined,
  ms: number,
  finished: Set<IMetricReader>,
  otelProblems: (() => number) | undefined,
): Promise<OtelOutcome> {
  const push = (pipeline?.readers ?? []).filter((r) => r instanceof PeriodicExportingMetricReader);
  if (push.length === 0) return 'none';
  const problemsBefore = otelProblems?.() ?? 0;
  const inTime = await shutdownReaders(push, ms, finished);
  if (!inTime) return 'timeout';
  // A failed export still settles the shutdown; the SDK reports it through diag.
  return (otelProblems?.() ?? 0) > problemsBefore ? 'failed' : 'exported';
}

/** One line per OTel exporter: where its histograms went, or why they did not. */
function exporterNotes(
  config: { otlp?: { url: string }; prometheus?: { host: string; port: number; endpoint: string } },
  run: { otel: readonly string[]; outcome: OtelOutcome; flushMs: number; serve: boolean },
): string[] {
  const { otel, outcome, flushMs } = run;
  const notes: string[] = [];
  if (config.otlp) {
    const url = config.otlp.url;
    notes.push(
      outcome === 'timeout'
        ? `OTLP: the export to ${url} did not go through within ${flushMs / 1000} s (the collector did not answer in time)`
        : outcome === 'failed'
          ? `OTLP: the export to ${url} did not go through (the OTel warnings above say why)`
          : `OTLP: histograms exported to ${url}`,
    );
  }
  if (config.prometheus) {
    const p = config.prometheus;
    const url = `http://${urlHost(p.host)}:${p.port}${p.endpoint}`;
    notes.push(
      run.serve
        ? `Prometheus: histograms served at ${url} (until Ctrl-C)`
        : `Prometheus: histograms served at ${url} until the demo stops (\`--serve\` keeps it up)`,
    );
  }
  if (otel.includes('console'))
    notes.push('Console: histograms printed above by the console exporter');
  return notes;
}

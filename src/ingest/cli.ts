#!/usr/bin/env node
// The `netbird-metrics-ingest` command: options from the environment and flags (--help lists
// them), JSON logs on stdout, graceful shutdown on SIGTERM/SIGINT (stop accepting, finish
// in-flight requests, close the sink, exit 0; a second signal exits at once).
import { ConfigError } from '../config/config-error.js';
import { dashboardFromEnv } from './dashboard/mount.js';
import { keepServingOnUnhandledErrors } from './last-resort.js';
import { createJsonLogger } from './logger.js';
import { helpText, resolveOptions } from './options.js';
import { createIngestServer } from './server.js';
import { EmbeddedStore } from './sinks/embedded-store.js';
import { SinkConfigError } from './sinks/sink.js';

const NAME = 'netbird-metrics-ingest';

/** Every problem on its own line, so one run shows all there is to fix. */
function configMessage(error: ConfigError): string {
  return `${NAME}: invalid configuration:\n${error.problems.map((p) => `  - ${p}\n`).join('')}`;
}

async function main(): Promise<number> {
  let resolved: ReturnType<typeof resolveOptions>;
  try {
    resolved = resolveOptions(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${configMessage(error)}(see ${NAME} --help)\n`);
      return 2;
    }
    throw error;
  }
  if (resolved.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const { options } = resolved;
  const log = createJsonLogger({ level: options.logLevel });
  keepServingOnUnhandledErrors(process, log);
  let server: ReturnType<typeof createIngestServer> | undefined;
  try {
    // GET /dashboard: from the embedded store, or from the InfluxDB it writes to (DASHBOARD_*).
    const dashboard = dashboardFromEnv(process.env, {
      influxdbUrl: options.influxdbUrl,
      influxdbToken: options.influxdbToken,
      readSamples: (range, signal) => {
        const sink = server?.sink;
        if (!(sink instanceof EmbeddedStore)) return [];
        // The store's upper bound is exclusive, the dashboard's inclusive.
        return sink.readSamples({ from: range.from, to: range.to + 1, signal });
      },
      storeDescription: options.dataDir,
    });
    server = createIngestServer({ ...options, logger: log, routes: dashboard ? [dashboard] : [] });
    await server.listen();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(configMessage(error));
      return 2;
    }
    if (error instanceof SinkConfigError) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return 2;
    }
    log.error('cannot start', { error });
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn('second signal: exiting now', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      log.info('shutting down', { signal });
      server.close().then(
        () => resolve(0),
        (error: unknown) => {
          log.error('shutdown failed', { error });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);

// Switching the exporter by environment only: the code names no exporter; NB_METRICS_EXPORTER
// and the standard OTEL_* / NB_METRICS_* variables decide where the metrics go. An endpoint on
// the command line is used where its variable is not set: the OTLP endpoint for `otlp`, and
// for `influx` the ingest server to push to (with the push switched on and the remote config
// skipped, so a local ingest needs nothing else).
//
//   # OTLP to a collector (http/protobuf):
//   NB_METRICS_EXPORTER=otlp npx tsx examples/env-only.ts http://localhost:4318
//   # NetBird's push to an ingest server (`npm start`, or `netbird-metrics-ingest`):
//   NB_METRICS_EXPORTER=influx npx tsx examples/env-only.ts http://localhost:8087/
//   # The same with variables only:
//   NB_METRICS_EXPORTER=influx NB_METRICS_PUSH_ENABLED=true NB_METRICS_FORCE_SENDING=true \
//     NB_METRICS_SERVER_URL=http://localhost:8087/ npx tsx examples/env-only.ts
//   # Print what would be sent:
//   NB_METRICS_EXPORTER=console npx tsx examples/env-only.ts
//
// Run `npm run build` first: the example imports the package by its name, as an application
// does. It says what was delivered, and exits with 1 when something was not.
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';

// An invalid variable is one warning and its default (NB_METRICS_STRICT_CONFIG=true makes it an
// error instead); show such warnings on stderr.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const endpoint = process.argv[2];
const selected = (process.env.NB_METRICS_EXPORTER ?? 'influx').split(',').map((e) => e.trim());
const env: Record<string, string | undefined> = { ...process.env };
if (endpoint !== undefined) {
  if (selected.includes('otlp')) env.OTEL_EXPORTER_OTLP_ENDPOINT ??= endpoint;
  if (selected.includes('influx')) {
    env.NB_METRICS_SERVER_URL ??= endpoint;
    env.NB_METRICS_PUSH_ENABLED ??= 'true';
    env.NB_METRICS_FORCE_SENDING ??= 'true';
  }
}

const metrics = createClientMetrics({
  version: '0.60.8',
  managementUrl: 'https://netbird.example.com:33073',
  publicKey: 'ZW52LW9ubHktZXhhbXBsZS13aXJlZ3VhcmQta2V5LWJhc2U2NA==',
  env,
});

const now = Date.now();
const stages = new ConnectionStages();
stages.signalingReceived(now - 2400);
stages.connectionReady(now - 300);
stages.wgHandshake(now);
metrics.recordConnection(stages, 'relay', 'cmVtb3RlLWVudi1vbmx5LXdpcmVndWFyZC1rZXktYmFzZTY0');
metrics.recordSync(0.31);
metrics.recordLogin(1.4, false);
metrics.recordLogin(0.8, true);

// A final push (if pushing) and a final OTel export (if exporting), within a deadline.
await metrics.shutdown();
const { push, recorded, delivery } = metrics.stats();
console.log(
  `recorded ${recorded} samples; exporters: ${process.env.NB_METRICS_EXPORTER ?? 'influx (default)'}; pushed ${push.samplesSent} samples in ${push.requests} requests`,
);
if (delivery.incomplete > 0) {
  console.error(
    `NOT delivered: ${delivery.lastError}; ${delivery.samplesUndelivered} samples stay unsent`,
  );
  process.exitCode = 1;
} else if (selected.includes('influx') && push.requests === 0) {
  console.log('the push did not run: set NB_METRICS_PUSH_ENABLED=true or give an ingest URL');
} else {
  console.log('everything was delivered');
}

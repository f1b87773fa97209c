// Switching the exporter by environment only: the code names no exporter; NB_METRICS_EXPORTER
// and the standard OTEL_* / NB_METRICS_* variables decide where the metrics go.
//
//   # OTLP to a collector (http/protobuf):
//   NB_METRICS_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 npx tsx examples/env-only.ts
//   # NetBird's push to an ingest server, skipping the remote config:
//   NB_METRICS_EXPORTER=influx NB_METRICS_PUSH_ENABLED=true NB_METRICS_FORCE_SENDING=true \
//     NB_METRICS_SERVER_URL=http://ingest:8087/ npx tsx examples/env-only.ts
//   # Both, or print what would be sent:
//   NB_METRICS_EXPORTER=influx,otlp ...    NB_METRICS_EXPORTER=console npx tsx examples/env-only.ts
//
// (after `npm run build`; the example imports the package by its name, as an application does).
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';

const metrics = createClientMetrics({
  version: '0.60.8',
  managementUrl: 'https://netbird.example.com:33073',
  publicKey: 'ZW52LW9ubHktZXhhbXBsZS13aXJlZ3VhcmQta2V5LWJhc2U2NA==',
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
const { push, recorded } = metrics.stats();
console.log(
  `recorded ${recorded} samples; exporters: ${process.env.NB_METRICS_EXPORTER ?? 'influx (default)'}; pushed ${push.samplesSent} samples in ${push.requests} requests`,
);

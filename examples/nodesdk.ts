// NetBird metrics in an application that runs the OpenTelemetry NodeSDK: hand ClientMetrics to
// NodeSDK as an instrumentation, and its histograms go out with the app's own metrics, under
// the app's resource. Creating it before `sdk.start()` is fine: it records into whatever
// provider is current when it records.
//
//   npx tsx examples/nodesdk.ts http://localhost:4318/v1/metrics
//
// The argument is the collector's OTLP/HTTP metrics URL (default: the one above). Run
// `npm run build` first: the example imports the package by its name, as an application does.
// It says whether the export arrived, and exits with 1 when it did not.
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';
import { ReportingExporter } from './reporting-exporter.js';

const url = process.argv[2] ?? 'http://localhost:4318/v1/metrics';

// `exporters: ['none']`: the SDK's pipeline is the only one; this package builds none.
const metrics = createClientMetrics({
  version: '0.60.8',
  managementUrl: 'https://api.netbird.io:443',
  publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
  exporters: ['none'],
});

const exporter = new ReportingExporter(new OTLPMetricExporter({ url }));
const sdk = new NodeSDK({
  resource: resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME ?? 'my-app-with-netbird',
  }),
  metricReaders: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
  // This example has no traces or logs to send.
  spanProcessors: [],
  logRecordProcessors: [],
  instrumentations: [metrics],
});
sdk.start();

const now = Date.now();
const stages = new ConnectionStages();
stages.signalingReceived(now - 1200);
stages.connectionReady(now - 400);
stages.wgHandshake(now);
metrics.recordConnection(stages, 'ice_turn', 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09');
metrics.recordSync(0.21);
metrics.recordLogin(0.5, true);

// Shutting the SDK down exports what was recorded, once.
await metrics.shutdown();
await sdk.shutdown();
const { recorded } = metrics.stats();
const { ok, text } = exporter.report(url);
if (ok) console.log(`recorded ${recorded} samples; ${text}`);
else {
  console.error(`recorded ${recorded} samples; ${text}`);
  process.exitCode = 1;
}

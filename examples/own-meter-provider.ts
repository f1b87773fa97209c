// Plugging NetBird metrics into an application's own OpenTelemetry MeterProvider, exported over
// OTLP (http/protobuf) to a collector. The NetBird instruments then travel with the app's other
// metrics, under the app's resource; this package builds no exporters of its own.
//
//   npx tsx examples/own-meter-provider.ts http://localhost:4318/v1/metrics
//
// The argument is the collector's OTLP/HTTP metrics URL (default: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
// else the one above). Run `npm run build` first: the example imports the package by its name,
// as an application does. It says whether the export arrived, and exits with 1 when it did not.
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';
import { ReportingExporter } from './reporting-exporter.js';

const url =
  process.argv[2] ??
  process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ??
  'http://localhost:4318/v1/metrics';

// The application's provider, configured the way the application wants it.
const exporter = new ReportingExporter(new OTLPMetricExporter({ url }));
const meterProvider = new MeterProvider({
  resource: resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME ?? 'my-netbird-client',
  }),
  readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
});

// NetBird metrics record into it. `exporters: ['none']`: no NetBird push either, so only the
// app's pipeline sends anything (the timestamped buffer still fills, for debug bundles).
const metrics = createClientMetrics({
  version: '0.60.8',
  managementUrl: 'https://api.netbird.io:443',
  publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
  meterProvider,
  exporters: ['none'],
});

// One connection: first signal, transport ready 640 ms later, first handshake 90 ms after that.
const now = Date.now();
const stages = new ConnectionStages();
stages.signalingReceived(now - 730);
stages.connectionReady(now - 90);
stages.wgHandshake(now);
metrics.recordConnection(stages, 'ice_p2p', 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09');
metrics.recordSync(0.184);
metrics.recordSyncPhase('routes_apply', 0.042);
metrics.recordLogin(0.92, true);

// The app decides when to export: here once, at shutdown.
await metrics.shutdown();
await meterProvider.shutdown();
const { recorded } = metrics.stats();
const { ok, text } = exporter.report(url);
if (ok) console.log(`recorded ${recorded} samples; ${text}`);
else {
  console.error(`recorded ${recorded} samples; ${text}`);
  process.exitCode = 1;
}

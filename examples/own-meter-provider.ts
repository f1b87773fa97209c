// Plugging NetBird metrics into an application's own OpenTelemetry MeterProvider, exported over
// OTLP (http/protobuf) to a collector. The NetBird instruments then travel with the app's other
// metrics; this package builds no exporters of its own.
//
//   OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://collector:4318/v1/metrics npx tsx examples/own-meter-provider.ts
//
// (after `npm run build`; the example imports the package by its name, as an application does).
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';

const url = process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? 'http://localhost:4318/v1/metrics';

// The application's provider, configured the way the application wants it.
const meterProvider = new MeterProvider({
  resource: resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME ?? 'my-netbird-client',
  }),
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url }),
      exportIntervalMillis: 60_000,
    }),
  ],
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

// The app decides when to export: here, now and once more at shutdown.
await meterProvider.forceFlush();
await metrics.shutdown();
await meterProvider.shutdown();
console.log(`exported NetBird histograms over OTLP to ${url}`);

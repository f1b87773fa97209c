// Records one connection, one sync and one login, then prints the OTel data points and the
// line protocol. With an ingest URL it also pushes the samples there, as NetBird clients do,
// and says whether they arrived (exit code 1 when they did not).
//
//   npx tsx examples/quickstart.ts                          # print only
//   npx tsx examples/quickstart.ts http://localhost:8087/   # and push to a local ingest
//
// Run `npm run build` first: the example imports the package by its name, as an application
// does. A local ingest: `npm start` (the demo), or `netbird-metrics-ingest`.
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';

const ingestUrl = process.argv[2];

/** Pulls on demand, so the example prints exactly what an exporter would be handed. */
class PrintReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
const reader = new PrintReader();
const meterProvider = new MeterProvider({ readers: [reader] });

const metrics = createClientMetrics({
  version: '0.40.1',
  managementUrl: 'https://api.netbird.io:443',
  publicKey: 'bG9jYWwtd2lyZWd1YXJkLXB1YmxpYy1rZXktYmFzZTY0PT0=',
  meterProvider,
  env: {}, // this example is configured in code only
  // Without an ingest, no push; with one, push straight to it (no remote config to fetch).
  exporters: ingestUrl === undefined ? ['none'] : ['influx'],
  ...(ingestUrl !== undefined
    ? { push: { enabled: true, forceSending: true, serverUrl: ingestUrl } }
    : {}),
});

const now = Date.now();
const stages = new ConnectionStages();
stages.signalingReceived(now - 1800);
stages.connectionReady(now - 650);
stages.wgHandshake(now - 20);
metrics.recordConnection(stages, 'ice_p2p', 'cmVtb3RlLXdpcmVndWFyZC1wdWJsaWMta2V5LWJhc2U2ND09');
metrics.recordSync(0.184);
metrics.recordSyncPhase('routes_apply', 0.000042);
metrics.recordLogin(0.92, true);

console.log('--- OpenTelemetry histogram data points ---');
const { resourceMetrics } = await reader.collect();
for (const scope of resourceMetrics.scopeMetrics) {
  for (const metric of scope.metrics) {
    if (metric.dataPointType !== DataPointType.HISTOGRAM) continue;
    for (const point of metric.dataPoints) {
      const attrs = Object.entries(point.attributes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      const { count, sum } = point.value;
      console.log(
        `${metric.descriptor.name} [${metric.descriptor.unit}] count=${count} sum=${sum} {${attrs}}`,
      );
    }
  }
}
console.log('--- InfluxDB line protocol (what a push or metrics.txt carries) ---');
process.stdout.write(metrics.exportLineProtocol());

// A final push within a deadline when pushing; then stop.
await metrics.shutdown();
await meterProvider.shutdown();
if (ingestUrl !== undefined) {
  const { recorded, push, delivery } = metrics.stats();
  console.log('--- push ---');
  if (delivery.incomplete === 0 && push.samplesSent === recorded) {
    console.log(`delivered ${push.samplesSent} of ${recorded} samples to ${ingestUrl}`);
  } else {
    console.error(
      `NOT delivered: ${push.samplesSent} of ${recorded} samples reached ${ingestUrl}${delivery.lastError ? ` (${delivery.lastError})` : ''}`,
    );
    process.exitCode = 1;
  }
}

// Records one connection, one sync and one login, then prints the OTel data points and the
// line protocol. Runs with `npm start` (after `npm run build`, the package imports by name).
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ConnectionStages, createClientMetrics } from 'netbird-otel-metrics';

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
await meterProvider.shutdown();

// The throw-away application of the packaging test: an ESM and a CommonJS program that print
// what they observed as JSON, and TypeScript consumers: ESM under node16 and bundler
// resolution, CommonJS under node20.

/** The app's OTel: a different, compatible api and SDK than the dev pins of the repository. */
export const APP_OTEL = ['@opentelemetry/api@1.9.0', '@opentelemetry/sdk-metrics@2.12.1'];
/** For the TypeScript consumers: our declarations reference Node's types. */
export const APP_TYPES = ['@types/node@20.19.43'];

const ESM = `
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import * as client from 'netbird-otel-metrics';
import * as ingest from 'netbird-otel-metrics/ingest';

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new Reader();
const meterProvider = new MeterProvider({ readers: [reader] });
const agent = { version: '0.40.1', managementUrl: 'https://api.netbird.io:443', env: {} };
const metrics = client.createClientMetrics({ ...agent, meterProvider });
metrics.recordSync(0.184);
const { resourceMetrics } = await reader.collect();
let missingExporter = 'no error';
try {
  client.createClientMetrics({ ...agent, exporters: ['prometheus'] });
} catch (error) {
  missingExporter = error.name + ': ' + error.message;
}
console.log(JSON.stringify({
  client: Object.keys(client),
  ingest: Object.keys(ingest),
  names: resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)),
  lines: metrics.exportLineProtocol(),
  missingExporter,
}));
await metrics.shutdown();
await meterProvider.shutdown();
`;

const CJS = `
const client = require('netbird-otel-metrics');
const ingest = require('netbird-otel-metrics/ingest');
Promise.all([import('netbird-otel-metrics'), import('netbird-otel-metrics/ingest')]).then(
  ([importedClient, importedIngest]) => {
    console.log(JSON.stringify({
      client: Object.keys(client),
      ingest: Object.keys(ingest),
      sameClient: importedClient === client,
      sameIngest: importedIngest === ingest,
    }));
  },
);
`;

const TS = `
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { type ClientMetricsOptions, createClientMetrics } from 'netbird-otel-metrics';
import { createIngestServer } from 'netbird-otel-metrics/ingest';

const options: ClientMetricsOptions = { version: '0.40.1', meterProvider: new MeterProvider() };
const metrics = createClientMetrics(options);
metrics.recordSync(0.184);
// @ts-expect-error a duration is a number: fails to compile if the types resolved to any
metrics.recordSync('0.184');
export const serve: typeof createIngestServer = createIngestServer;
`;

/** A CommonJS TypeScript file: its `import`s compile to `require` of our ES modules. */
const CTS = `
import { type ClientMetricsOptions, createClientMetrics } from 'netbird-otel-metrics';
import { createIngestServer } from 'netbird-otel-metrics/ingest';

const options: ClientMetricsOptions = { version: '0.40.1' };
export const metrics = createClientMetrics(options);
// @ts-expect-error a duration is a number: fails to compile if the types resolved to any
metrics.recordSync('0.184');
export const serve: typeof createIngestServer = createIngestServer;
`;

const tsconfig = (compilerOptions: Record<string, unknown>, file = 'consumer.ts') =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      types: ['node'],
      ...compilerOptions,
    },
    files: [file],
  });

/** tsconfig file → the options it checks with. */
export const TS_CONFIGS = {
  'tsconfig.node16.json': tsconfig({ module: 'node16', moduleResolution: 'node16' }),
  'tsconfig.bundler.json': tsconfig({ module: 'preserve', moduleResolution: 'bundler' }),
  // TypeScript models require(esm) from `module: node20` (and nodenext) on; node16 refuses it.
  'tsconfig.cjs-node20.json': tsconfig({ module: 'node20' }, 'consumer.cts'),
} as const;

export const APP_FILES: Readonly<Record<string, string>> = {
  'package.json': JSON.stringify({
    name: 'consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
  }),
  'esm.mjs': ESM,
  'cjs.cjs': CJS,
  'consumer.ts': TS,
  'consumer.cts': CTS,
  ...TS_CONFIGS,
};

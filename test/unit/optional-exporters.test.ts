import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { loadOptionalPeer, MissingPeerError } from '../../src/exporters/otel/optional-peer.js';
import {
  createOtlpExporter,
  type OtlpSettings,
  type OtlpTemporality,
} from '../../src/exporters/otel/otlp.js';

const settings = (over: Partial<OtlpSettings>): OtlpSettings => ({
  url: 'http://127.0.0.1:4318/v1/metrics',
  protocol: 'http/protobuf',
  headers: {},
  timeoutMillis: 1000,
  compression: 'none',
  temporalityPreference: 'cumulative',
  ...over,
});

const PREFERENCE: Record<OtlpTemporality, AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

describe('createOtlpExporter: exporter packages loaded when selected', () => {
  for (const [temporality, preference] of Object.entries(PREFERENCE)) {
    it(`"${temporality}" selects what the exporter's own enum value selects`, async () => {
      const name = temporality as OtlpTemporality;
      const pairs = [
        [createOtlpExporter(settings({ temporalityPreference: name })), ProtobufExporter],
        [
          createOtlpExporter(settings({ protocol: 'http/json', temporalityPreference: name })),
          JsonExporter,
        ],
      ] as const;
      for (const [ours, Reference] of pairs) {
        expect(ours).toBeInstanceOf(Reference);
        const reference = new Reference({ temporalityPreference: preference });
        for (const type of Object.values(InstrumentType)) {
          expect(ours.selectAggregationTemporality?.(type)).toBe(
            reference.selectAggregationTemporality(type),
          );
        }
        await Promise.all([ours.shutdown(), reference.shutdown()]);
      }
    });
  }
});

describe('loadOptionalPeer', () => {
  it('returns the module a static import gives (one instance for both)', () => {
    const loaded = loadOptionalPeer<{ OTLPMetricExporter: unknown }>(
      '@opentelemetry/exporter-metrics-otlp-proto',
      'otlp',
    );
    expect(loaded.OTLPMetricExporter).toBe(ProtobufExporter);
  });

  it('advises the peer range of package.json for a missing exporter package', async () => {
    const { peerDependencies } = (await import('../../package.json', { with: { type: 'json' } }))
      .default;
    const name = '@opentelemetry/exporter-prometheus';
    const error = new MissingPeerError(name, 'prometheus', undefined);
    expect(error.message).toContain(`npm install "${name}@${peerDependencies[name]}"`);
  });

  it('names the missing package and the exporter that needs it', () => {
    const load = () => loadOptionalPeer('@opentelemetry/not-installed-anywhere', 'prometheus');
    expect(load).toThrow(MissingPeerError);
    expect(load).toThrow(
      /exporter "prometheus" needs the package @opentelemetry\/not-installed-anywhere.*npm install @opentelemetry\/not-installed-anywhere/,
    );
  });
});

import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** 2025-12-01T00:00:00Z: every point's start time. */
export const START: [number, number] = [1764547200, 0];
/** One minute and half a second later: every point's end time. */
export const END: [number, number] = [1764547260, 500_000_000];
export const START_NS = '1764547200000000000';
export const END_NS = '1764547260500000000';

function descriptor(name: string, valueType: ValueType, unit = '') {
  return { name, description: '', unit, valueType };
}

function shopMetrics(): MetricData[] {
  return [
    {
      descriptor: descriptor('http.requests', ValueType.INT, '{request}'),
      dataPointType: DataPointType.SUM,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      isMonotonic: true,
      dataPoints: [
        { startTime: START, endTime: END, attributes: { method: 'GET', status: 200 }, value: 42 },
      ],
    },
    {
      descriptor: descriptor('queue.depth', ValueType.DOUBLE),
      dataPointType: DataPointType.SUM,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      isMonotonic: false,
      dataPoints: [
        { startTime: START, endTime: END, attributes: { queue: 'orders' }, value: -3.5 },
      ],
    },
    {
      descriptor: descriptor('cpu.temperature', ValueType.DOUBLE, 'Cel'),
      dataPointType: DataPointType.GAUGE,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints: [{ startTime: START, endTime: END, attributes: {}, value: 71.25 }],
    },
    {
      descriptor: descriptor('jobs.done', ValueType.INT),
      dataPointType: DataPointType.SUM,
      aggregationTemporality: AggregationTemporality.DELTA,
      isMonotonic: true,
      dataPoints: [{ startTime: START, endTime: END, attributes: {}, value: 7 }],
    },
  ];
}

function runtimeMetrics(): MetricData[] {
  return [
    {
      descriptor: descriptor('http.server.duration', ValueType.DOUBLE, 'ms'),
      dataPointType: DataPointType.HISTOGRAM,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints: [
        {
          startTime: START,
          endTime: END,
          attributes: { route: '/cart', method: 'POST' },
          value: {
            buckets: { boundaries: [0.005, 10, 100], counts: [1, 2, 0, 1] },
            count: 4,
            sum: 250.75,
            min: 0.004,
            max: 180,
          },
        },
      ],
    },
  ];
}

/**
 * One `ResourceMetrics` written by hand, so tests can compare an exporter's lines with lines
 * worked out from the layout rules: a cumulative counter, an up-down counter, a gauge and a
 * delta counter in one scope, a histogram in a second scope without a version, under a
 * resource with the per-process attributes NodeSDK's detectors add.
 */
export function handBuiltResourceMetrics(serviceName = 'checkout'): ResourceMetrics {
  return {
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'host.name': 'web-1',
      'deployment.environment': 'prod',
      'process.pid': 4242,
      'process.command_args': ['/usr/bin/node', '/srv/app.js'],
    }),
    scopeMetrics: [
      { scope: { name: 'shop', version: '2.1.0' }, metrics: shopMetrics() },
      { scope: { name: 'runtime' }, metrics: runtimeMetrics() },
    ],
  };
}

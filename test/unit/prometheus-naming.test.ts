import { describe, expect, it } from 'vitest';
import { prometheusMetricName, unitSuffix } from '../../src/exporters/otel/prometheus-naming.js';

describe('Prometheus-style names', () => {
  it.each([
    [
      'netbird.peer.connection.duration',
      's',
      'histogram',
      'netbird_peer_connection_duration_seconds',
    ],
    [
      'netbird.metrics.push.samples_sent',
      '{sample}',
      'counter',
      'netbird_metrics_push_samples_sent_total',
    ],
    ['http.server.duration', 'ms', 'histogram', 'http_server_duration_milliseconds'],
    ['process.memory', 'By', 'gauge', 'process_memory_bytes'],
    ['net.io', 'By/s', 'gauge', 'net_io_bytes_per_second'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['latency_seconds', 's', 'histogram', 'latency_seconds'],
    ['9lives', '', 'gauge', '_9lives'],
    ['a-b..c', 'widgets', 'gauge', 'a_b_c_widgets'],
  ] as const)('%s [%s] %s → %s', (name, unit, kind, expected) => {
    expect(prometheusMetricName(name, unit, kind)).toBe(expected);
  });

  it('drops annotations and keeps unknown units as words', () => {
    expect(unitSuffix('{packets}', 'counter')).toBe('');
    expect(unitSuffix('m/s', 'gauge')).toBe('meters_per_second');
    expect(unitSuffix('1', 'counter')).toBe('');
  });
});

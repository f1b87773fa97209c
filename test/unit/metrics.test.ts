import { describe, expect, it } from 'vitest';
import { IngestMetrics } from '../../src/ingest/metrics.js';

describe('IngestMetrics', () => {
  it('renders counters and a histogram in the Prometheus text format', () => {
    const m = new IngestMetrics();
    m.requests.inc(['204', 'stored']);
    m.requests.inc(['204', 'stored']);
    m.requests.inc(['400', 'invalid line']);
    m.invalidLines.inc(['unknown "tag"\\x']);
    m.upstreamDuration.observe(['influxdb-v1'], 0.03);
    m.upstreamDuration.observe(['influxdb-v1'], 20);
    const text = m.render();
    expect(text).toContain('# TYPE netbird_ingest_requests_total counter\n');
    expect(text).toContain('netbird_ingest_requests_total{code="204",reason="stored"} 2\n');
    expect(text).toContain('netbird_ingest_requests_total{code="400",reason="invalid line"} 1\n');
    expect(text).toContain(
      'netbird_ingest_invalid_lines_total{reason="unknown \\"tag\\"\\\\x"} 1\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="0.025"} 0\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="0.05"} 1\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_bucket{sink="influxdb-v1",le="+Inf"} 2\n',
    );
    expect(text).toContain(
      'netbird_ingest_upstream_write_duration_seconds_count{sink="influxdb-v1"} 2\n',
    );
    expect(text).toContain('netbird_ingest_in_flight_requests 0\n');
    // Every sample line is `name{labels} value` or `name value`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{.*\})? [0-9.e+-]+$/);
    }
  });
});

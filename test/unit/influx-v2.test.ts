import { describe, expect, it } from 'vitest';
import { influxV2Target } from '../../src/ingest/sinks/influx-v2.js';

describe('influxV2Target: the write URL and token for InfluxDB 2.x', () => {
  it('v2: precision ns and the token header', () => {
    const t = influxV2Target('https://db/api/v2/write?org=netbird&bucket=metrics', 'secret');
    expect(t.url.searchParams.get('precision')).toBe('ns');
    expect(t.url.searchParams.get('org')).toBe('netbird');
    expect(t.headers).toEqual({ authorization: 'Token secret' });
  });
});

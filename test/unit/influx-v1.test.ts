import { describe, expect, it } from 'vitest';
import { influxV1Target } from '../../src/ingest/sinks/influx-v1.js';

describe('influxV1Target: the write URL and credentials for InfluxDB 1.x', () => {
  it('v1: precision n, basic auth from the URL (never left in it), or the token', () => {
    const basic = influxV1Target('http://u%40x:p%3As@db:8086/write?db=metrics');
    expect(basic.url.toString()).toBe('http://db:8086/write?db=metrics&precision=n');
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('u@x:p:s').toString('base64')}`);
    expect(influxV1Target('http://db/write?db=m&precision=ns', 'tok').headers).toEqual({
      authorization: 'Token tok',
    });
    expect(influxV1Target('http://db/write?db=m').headers).toEqual({});
  });
});

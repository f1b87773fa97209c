// InfluxDB 2.x `/api/v2/write?org=...&bucket=...` (also InfluxDB 3.x and VictoriaMetrics'
// `/api/v2/write`): org and bucket live in the query, precision is set to `ns`, and the token
// goes in `Authorization: Token <INFLUXDB_TOKEN>` as in NetBird's Go ingest.
import { SinkConfigError } from './sink.js';
import { type HttpUpstreamSink, safeUrl } from './upstream-http.js';
import {
  requireParam,
  setNanosecondPrecision,
  type UpstreamSinkOptions,
  type UpstreamTarget,
  upstreamSink,
} from './write-url.js';

export function isInfluxV2WriteUrl(url: URL): boolean {
  return url.pathname.replace(/\/+$/, '').endsWith('/api/v2/write');
}

export function influxV2Target(raw: string, token = ''): UpstreamTarget {
  const url = new URL(raw);
  requireParam(url, 'bucket', 'an InfluxDB v2 /api/v2/write URL needs ?org=...&bucket=...');
  if (token === '') {
    throw new SinkConfigError(
      'INFLUXDB_TOKEN is required when INFLUXDB_URL is an InfluxDB v2 /api/v2/write URL',
    );
  }
  setNanosecondPrecision(url, ['ns'], 'ns', 'use ns or leave it out');
  if (url.username !== '' || url.password !== '') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: InfluxDB v2 takes a token (INFLUXDB_TOKEN), not a user and password in the URL`,
    );
  }
  return { url, headers: { authorization: `Token ${token}` } };
}

export function createInfluxV2Sink(raw: string, options: UpstreamSinkOptions): HttpUpstreamSink {
  return upstreamSink('influxdb-v2', influxV2Target(raw, options.token), options);
}

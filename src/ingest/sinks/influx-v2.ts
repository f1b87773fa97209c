// InfluxDB 2.x `/api/v2/write?org=...&bucket=...` (also InfluxDB 3.x and VictoriaMetrics'
// `/api/v2/write`): org and bucket live in the query, precision is set to `ns`, and the token
// goes in `Authorization: Token <INFLUXDB_TOKEN>` as in NetBird's Go ingest.
import type { UpstreamSinkOptions, UpstreamTarget } from './influx-v1.js';
import { SinkConfigError } from './sink.js';
import { HttpUpstreamSink, safeUrl } from './upstream-http.js';

export function isInfluxV2WriteUrl(url: URL): boolean {
  return url.pathname.replace(/\/+$/, '').endsWith('/api/v2/write');
}

export function influxV2Target(raw: string, token = ''): UpstreamTarget {
  const url = new URL(raw);
  const bucket = url.searchParams.get('bucket');
  if (bucket === null || bucket === '') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: an InfluxDB v2 /api/v2/write URL needs ?org=...&bucket=...`,
    );
  }
  if (token === '') {
    throw new SinkConfigError(
      'INFLUXDB_TOKEN is required when INFLUXDB_URL is an InfluxDB v2 /api/v2/write URL',
    );
  }
  const precision = url.searchParams.get('precision');
  if (precision !== null && precision !== 'ns') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: precision=${precision} cannot work, clients send nanoseconds (use ns or leave it out)`,
    );
  }
  url.searchParams.set('precision', 'ns');
  if (url.username !== '' || url.password !== '') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: InfluxDB v2 takes a token (INFLUXDB_TOKEN), not a user and password in the URL`,
    );
  }
  return { url, headers: { authorization: `Token ${token}` } };
}

export function createInfluxV2Sink(raw: string, options: UpstreamSinkOptions): HttpUpstreamSink {
  const { url, headers } = influxV2Target(raw, options.token);
  return new HttpUpstreamSink({
    kind: 'influxdb-v2',
    url,
    headers,
    timeoutMs: options.timeoutMs,
    gzip: options.gzip,
  });
}

// InfluxDB 1.x `/write?db=...` (also VictoriaMetrics' `/write` and `/influx/write`, and the v1
// compatibility API of InfluxDB 2.x/3.x). Precision is sent as `n`: 1.x knows only
// `n, u, ms, s, m, h` and silently reads any other name, `ns` included, as nanoseconds.
// Credentials: user and password in the URL (`http://user:pass@host/write?db=x`, sent as basic
// auth), `u`/`p` query parameters, or INFLUXDB_TOKEN (`Authorization: Token`, 1.8+ and 2.x).
import type { HttpUpstreamSink } from './upstream-http.js';
import {
  requireParam,
  setNanosecondPrecision,
  type UpstreamSinkOptions,
  type UpstreamTarget,
  upstreamSink,
} from './write-url.js';

export type { UpstreamSinkOptions, UpstreamTarget } from './write-url.js';

export function isInfluxV1WriteUrl(url: URL): boolean {
  return url.pathname.replace(/\/+$/, '').endsWith('/write');
}

export function influxV1Target(raw: string, token = ''): UpstreamTarget {
  const url = new URL(raw);
  requireParam(url, 'db', 'an InfluxDB v1 /write URL needs the database, e.g. ?db=netbird');
  setNanosecondPrecision(url, ['n', 'ns'], 'n', 'leave it out');
  const headers: Record<string, string> = {};
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  } else if (token !== '') {
    headers.authorization = `Token ${token}`;
  }
  return { url, headers };
}

export function createInfluxV1Sink(raw: string, options: UpstreamSinkOptions): HttpUpstreamSink {
  return upstreamSink('influxdb-v1', influxV1Target(raw, options.token), options);
}

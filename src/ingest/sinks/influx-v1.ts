// InfluxDB 1.x `/write?db=...` (also VictoriaMetrics' `/write` and `/influx/write`, and the v1
// compatibility API of InfluxDB 2.x/3.x). Precision is sent as `n`: 1.x knows only
// `n, u, ms, s, m, h` and silently reads any other name, `ns` included, as nanoseconds.
// Credentials: user and password in the URL (`http://user:pass@host/write?db=x`, sent as basic
// auth), `u`/`p` query parameters, or INFLUXDB_TOKEN (`Authorization: Token`, 1.8+ and 2.x).
import { SinkConfigError } from './sink.js';
import { HttpUpstreamSink, safeUrl } from './upstream-http.js';

export interface UpstreamTarget {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
}

export interface UpstreamSinkOptions {
  readonly token?: string;
  readonly timeoutMs: number;
  readonly gzip: boolean;
}

export function isInfluxV1WriteUrl(url: URL): boolean {
  return url.pathname.replace(/\/+$/, '').endsWith('/write');
}

export function influxV1Target(raw: string, token = ''): UpstreamTarget {
  const url = new URL(raw);
  const db = url.searchParams.get('db');
  if (db === null || db === '') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: an InfluxDB v1 /write URL needs the database, e.g. ?db=netbird`,
    );
  }
  const precision = url.searchParams.get('precision');
  if (precision !== null && precision !== 'n' && precision !== 'ns') {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: precision=${precision} cannot work, clients send nanoseconds (leave it out)`,
    );
  }
  url.searchParams.set('precision', 'n');
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
  const { url, headers } = influxV1Target(raw, options.token);
  return new HttpUpstreamSink({
    kind: 'influxdb-v1',
    url,
    headers,
    timeoutMs: options.timeoutMs,
    gzip: options.gzip,
  });
}

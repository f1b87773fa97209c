// What the InfluxDB v1 and v2 write URLs have in common: a query parameter the database needs,
// the precision (clients always send nanoseconds, so any other precision would misdate every
// point), and the sink built from the checked target.
import type { SinkKind } from './sink.js';
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
  readonly gzipMinBytes?: number;
}

/** Refuses a write URL without `name`; `needs` says what to add, e.g. `the database, e.g. ?db=netbird`. */
export function requireParam(url: URL, name: string, needs: string): void {
  const value = url.searchParams.get(name);
  if (value === null || value === '') {
    throw new SinkConfigError(`INFLUXDB_URL ${safeUrl(url)}: ${needs}`);
  }
}

/**
 * Accepts a missing precision or one that means nanoseconds (`accepted`), refusing any other
 * with `advice`, then sets the precision to `wire`, the name this API version reads as ns.
 */
export function setNanosecondPrecision(
  url: URL,
  accepted: readonly string[],
  wire: string,
  advice: string,
): void {
  const precision = url.searchParams.get('precision');
  if (precision !== null && !accepted.includes(precision)) {
    throw new SinkConfigError(
      `INFLUXDB_URL ${safeUrl(url)}: precision=${precision} cannot work, clients send nanoseconds (${advice})`,
    );
  }
  url.searchParams.set('precision', wire);
}

export function upstreamSink(
  kind: Exclude<SinkKind, 'embedded'>,
  target: UpstreamTarget,
  options: UpstreamSinkOptions,
): HttpUpstreamSink {
  return new HttpUpstreamSink({
    kind,
    url: target.url,
    headers: target.headers,
    timeoutMs: options.timeoutMs,
    gzip: options.gzip,
    ...(options.gzipMinBytes !== undefined && { gzipMinBytes: options.gzipMinBytes }),
  });
}

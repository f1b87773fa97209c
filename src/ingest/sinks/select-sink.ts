// Picks the sink from INFLUXDB_URL: `/api/v2/write` → v2, `/write` → v1, empty → embedded store.
import { EmbeddedStore } from './embedded-store.js';
import { GroupCommitSink } from './group-commit.js';
import { createInfluxV1Sink, influxV1Target, isInfluxV1WriteUrl } from './influx-v1.js';
import { createInfluxV2Sink, influxV2Target, isInfluxV2WriteUrl } from './influx-v2.js';
import { type Sink, SinkConfigError, type SinkKind } from './sink.js';

export interface SinkSettings {
  readonly influxdbUrl: string;
  readonly influxdbToken: string;
  readonly upstreamTimeoutMs: number;
  readonly upstreamGzip: boolean;
  /** With `upstreamGzip`: writes of fewer bytes of lines go plain. */
  readonly upstreamGzipMinBytes: number;
  /** 0: every push is its own database write. */
  readonly groupCommitLingerMs: number;
  readonly groupCommitMaxLines: number;
  readonly groupCommitMaxBytes: number;
  readonly groupCommitMaxWrites: number;
  readonly dataDir: string;
  readonly retentionDays: number;
  readonly retentionBytes: number;
  readonly storeDatabase: string;
}

/** Which sink the settings select; throws a {@link SinkConfigError} if they cannot work. */
export function sinkKind(settings: Pick<SinkSettings, 'influxdbUrl' | 'influxdbToken'>): SinkKind {
  const raw = settings.influxdbUrl.trim();
  if (raw === '') return 'embedded';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SinkConfigError(`INFLUXDB_URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SinkConfigError(`INFLUXDB_URL must be http or https, got ${url.protocol}`);
  }
  // Checking the whole target here reports a bad URL at startup, not on the first push.
  if (isInfluxV2WriteUrl(url)) {
    influxV2Target(raw, settings.influxdbToken);
    return 'influxdb-v2';
  }
  if (isInfluxV1WriteUrl(url)) {
    influxV1Target(raw, settings.influxdbToken);
    return 'influxdb-v1';
  }
  throw new SinkConfigError(
    `INFLUXDB_URL ${url.origin}${url.pathname}: the path must end in /api/v2/write (InfluxDB 2.x/3.x, VictoriaMetrics) or /write (InfluxDB 1.x)`,
  );
}

/** What the ingest is told about the sink's work, for its metrics. */
export interface SinkObserver {
  /** A combined write left with this many pushes. */
  readonly onGroup?: (pushes: number) => void;
}

export async function openSink(settings: SinkSettings, observer: SinkObserver = {}): Promise<Sink> {
  const options = {
    token: settings.influxdbToken,
    timeoutMs: settings.upstreamTimeoutMs,
    gzip: settings.upstreamGzip,
    gzipMinBytes: settings.upstreamGzipMinBytes,
  };
  switch (sinkKind(settings)) {
    case 'influxdb-v2':
      return groupCommit(
        createInfluxV2Sink(settings.influxdbUrl.trim(), options),
        settings,
        observer,
      );
    case 'influxdb-v1':
      return groupCommit(
        createInfluxV1Sink(settings.influxdbUrl.trim(), options),
        settings,
        observer,
      );
    case 'embedded':
      return EmbeddedStore.open({
        dataDir: settings.dataDir,
        retentionDays: settings.retentionDays,
        retentionBytes: settings.retentionBytes,
        database: settings.storeDatabase,
      });
  }
}

/** A database pays a fixed cost per write: concurrent pushes share one, unless turned off. */
function groupCommit(sink: Sink, settings: SinkSettings, observer: SinkObserver): Sink {
  if (settings.groupCommitLingerMs <= 0) return sink;
  return new GroupCommitSink(sink, {
    lingerMs: settings.groupCommitLingerMs,
    maxLines: settings.groupCommitMaxLines,
    maxBytes: settings.groupCommitMaxBytes,
    maxWrites: settings.groupCommitMaxWrites,
    ...(observer.onGroup !== undefined && { onGroup: observer.onGroup }),
  });
}

// Where validated lines go. A sink resolves `write` only once it has taken the batch (stored on
// disk, or acknowledged by the database), because the ingest answers 2xx only then.

export type SinkKind = 'influxdb-v1' | 'influxdb-v2' | 'embedded';

export interface LineBatch {
  /** UTF-8 line protocol, each line ending in `\n`, as consecutive pieces. */
  readonly pieces: readonly Buffer[];
  readonly byteLength: number;
  readonly lines: number;
  /**
   * The client's own gzip body, given only when it decompresses to exactly `pieces` (no line
   * was normalised or skipped, nothing follows the gzip data), so a sink that sends gzip can
   * pass it on instead of compressing the same bytes again.
   */
  readonly gzip?: Buffer;
  /**
   * The pushes this batch combines, in order, when several share one write: a sink that sends
   * gzip can pass on each push's own {@link LineBatch.gzip}.
   */
  readonly parts?: readonly LineBatch[];
}

export interface Sink {
  readonly kind: SinkKind;
  /** Where the data goes, safe to log (no credentials). */
  readonly target: string;
  /** True when the sink can use {@link LineBatch.gzip}: only then does the server keep it. */
  readonly forwardsGzip?: boolean;
  /**
   * Why the sink cannot store data now (e.g. its disk refuses writes), for `/health`; undefined
   * while it can, or when the sink cannot tell (a database's health is its own).
   */
  readonly writeProblem?: string | undefined;
  /**
   * Resolves once the batch is stored, with {@link RefusedLines} when a database limit kept some
   * or all of it out; rejects with a {@link SinkError} otherwise.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks that never refuse part of a batch resolve with nothing
  write(batch: LineBatch, signal?: AbortSignal): Promise<RefusedLines | void>;
  close(): Promise<void>;
}

/**
 * Lines of a batch a database limit (e.g. InfluxDB's `max-values-per-tag`) refused. They are not
 * the client's fault: they would be stored once the limit is raised.
 */
export interface RefusedLines {
  /** Which limit, as the database names it; a fixed set (a metric label). */
  readonly limit: string;
  /** Lines known to be stored: 0 when none are, or when the sink cannot tell which are. */
  readonly stored: number;
  readonly refused: number;
  /** The database's own message. */
  readonly message: string;
}

export abstract class SinkError extends Error {}

/** The data was not stored, and sending it again later may work (the client should back off). */
export class SinkUnavailableError extends SinkError {
  override name = 'SinkUnavailableError';

  constructor(
    message: string,
    /** Seconds the upstream asked to wait, if it said so. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The upstream refused the data for good (a 4xx other than 408/429); relayed to the client. */
export class SinkRejectedError extends SinkError {
  override name = 'SinkRejectedError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The sink settings cannot work (e.g. an INFLUXDB_URL without a database). */
export class SinkConfigError extends Error {
  override name = 'SinkConfigError';
}

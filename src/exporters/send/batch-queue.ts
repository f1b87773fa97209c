// What the batch sender needs from a queue: the oldest entries as one request body, and exact
// removal of what was sent. Both the NetBird sample store and the InfluxDB exporter's line
// buffer implement it.

/** A batch taken from a queue, not yet removed from it. */
export interface QueuedBatch {
  /** Newline-terminated line protocol of the batch. */
  readonly body: string;
  /** Entries in the batch. */
  readonly count: number;
}

/** A FIFO whose front is sent in batches and removed only once answered. */
export interface BatchQueue<B extends QueuedBatch> {
  readonly size: number;
  /**
   * The oldest entries, up to `maxItems` and `maxBytes` of line protocol (at least one entry
   * when any is queued). Nothing is removed.
   */
  takeBatch(maxItems: number, maxBytes: number): B | undefined;
  /** The batch was stored: removes exactly its entries that are still queued; returns how many. */
  acknowledge(batch: B): number;
  /** The batch can never be accepted: removes its entries that are still queued; returns how many. */
  discard(batch: B): number;
}

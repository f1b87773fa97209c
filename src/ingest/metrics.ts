// Counters, a gauge and a histogram in the Prometheus text format (0.0.4), just what the
// ingest's own metrics need.

type Labels = readonly string[];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: Labels, values: Labels, extra = ''): string {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? '')}"`);
  if (extra !== '') parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

abstract class Family {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    readonly labelNames: Labels,
  ) {}

  protected key(values: Labels): string {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected labels ${this.labelNames.join(', ')}`);
    }
    return values.join('\u0000');
  }

  abstract samples(): string[];

  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n${this.samples().join('')}`;
  }
}

class Counter extends Family {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string, labelNames: Labels = []) {
    super(name, help, 'counter', labelNames);
  }

  inc(labels: Labels = [], by = 1): void {
    const key = this.key(labels);
    const entry = this.#values.get(key);
    if (entry === undefined) this.#values.set(key, { labels: [...labels], value: by });
    else entry.value += by;
  }

  get(labels: Labels = []): number {
    return this.#values.get(this.key(labels))?.value ?? 0;
  }

  samples(): string[] {
    return [...this.#values.values()].map(
      (e) => `${this.name}${labelText(this.labelNames, e.labels)} ${formatNumber(e.value)}\n`,
    );
  }
}

class Gauge extends Family {
  #value = 0;

  constructor(name: string, help: string) {
    super(name, help, 'gauge', []);
  }

  add(by: number): void {
    this.#value += by;
  }

  samples(): string[] {
    return [`${this.name} ${formatNumber(this.#value)}\n`];
  }
}

class Histogram extends Family {
  readonly #buckets: readonly number[];
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(name: string, help: string, buckets: readonly number[], labelNames: Labels = []) {
    super(name, help, 'histogram', labelNames);
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = this.key(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels: [...labels], counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.#buckets.length; i++) {
      if (value <= this.#buckets[i]!) series.counts[i]! += 1;
    }
    series.sum += value;
    series.count += 1;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((le, i) => {
        const labels = labelText(this.labelNames, s.labels, `le="${formatNumber(le)}"`);
        out.push(`${this.name}_bucket${labels} ${s.counts[i]}\n`);
      });
      out.push(
        `${this.name}_bucket${labelText(this.labelNames, s.labels, 'le="+Inf"')} ${s.count}\n`,
      );
      out.push(`${this.name}_sum${labelText(this.labelNames, s.labels)} ${formatNumber(s.sum)}\n`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.labels)} ${s.count}\n`);
    }
    return out;
  }
}

const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/**
 * The ingest server's own counters, served at `/metrics`. Every label takes values from a fixed
 * set (status codes, reasons, sink kinds), so the number of series is bounded.
 */
export class IngestMetrics {
  readonly requests = new Counter(
    'netbird_ingest_requests_total',
    'Ingest (POST) requests by response status and reason.',
    ['code', 'reason'],
  );
  readonly lines = new Counter(
    'netbird_ingest_lines_total',
    'Lines of stored requests: stored (all passed on), normalised (passed on with a change), skipped (empty or comment).',
    ['outcome'],
  );
  readonly invalidLines = new Counter(
    'netbird_ingest_invalid_lines_total',
    'Requests refused for an invalid line, by the reason of the first bad line.',
    ['reason'],
  );
  readonly bytes = new Counter(
    'netbird_ingest_body_bytes_total',
    'Request body bytes as received (raw) and after gunzip (decoded).',
    ['stage'],
  );
  readonly upstreamRequests = new Counter(
    'netbird_ingest_upstream_writes_total',
    'Writes to the sink by outcome: ok, unavailable (transport error, timeout, 5xx, 429), rejected (other 4xx), limited (a database limit refused every line).',
    ['sink', 'outcome'],
  );
  readonly limitRefusedLines = new Counter(
    'netbird_ingest_limit_refused_lines_total',
    'Lines a database limit refused (e.g. InfluxDB max-values-per-tag), by limit; all lines of a push whose stored part the ingest could not tell (answered 503, so the client sends them again).',
    ['limit'],
  );
  readonly upstreamDuration = new Histogram(
    'netbird_ingest_upstream_write_duration_seconds',
    'Time a write to the sink took, whatever its outcome.',
    UPSTREAM_BUCKETS,
    ['sink'],
  );
  readonly groupPushes = new Histogram(
    'netbird_ingest_group_commit_pushes',
    'Pushes per database write with group commit on: how much the linger and bounds combine (1 means each push went alone).',
    GROUP_BUCKETS,
  );
  readonly inFlight = new Gauge(
    'netbird_ingest_in_flight_requests',
    'Ingest requests being read, validated or written.',
  );

  render(): string {
    return [
      this.requests,
      this.lines,
      this.invalidLines,
      this.bytes,
      this.upstreamRequests,
      this.limitRefusedLines,
      this.upstreamDuration,
      this.groupPushes,
      this.inFlight,
    ]
      .map((family) => family.render())
      .join('');
  }
}

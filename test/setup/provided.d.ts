// Values that test/setup/global-setup.ts provides to every test file via `inject(...)`.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** InfluxDB 1.6 base URL, no trailing slash. Create your own database (uniqueName). */
    influxdbUrl: string;
    /** VictoriaMetrics 1.112 base URL, no trailing slash. */
    victoriaUrl: string;
    /** Prometheus 2.42 base URL, no trailing slash. */
    prometheusUrl: string;
    /**
     * Four loopback ports Prometheus scrapes every second at /metrics (job `netbird`). Nothing
     * listens on them until a test binds one; use listenOnScrapeTarget() to take a free one.
     */
    prometheusTargetPorts: number[];
  }
}

/**
 * Thrown when configuration is invalid. `problems` lists every bad variable, flag or option at
 * once, each naming its source and the value it had, so one run shows everything to fix.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`netbird-otel-metrics: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/**
 * The outcome of resolving configuration. A failure still carries `fallback`: what applies
 * when the problems are ignored (each bad value treated as unset, so the next source or the
 * default is used), and `warnings`, the problems with the value each fell back to.
 */
export type Resolved<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly errors: string[];
      readonly warnings: string[];
      readonly fallback: T;
    };

/** The value, or a {@link ConfigError} listing every problem. */
export function unwrap<T>(result: Resolved<T>): T {
  if (!result.ok) throw new ConfigError(result.errors);
  return result.value;
}

/**
 * Shared shapes for reading configuration from an environment object. Resolution functions are
 * pure (they take the environment as an argument) and report every problem at once.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export type Resolved<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Thrown when configuration is invalid; `problems` names each variable or option. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`netbird-otel-metrics: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export function unwrap<T>(result: Resolved<T>): T {
  if (!result.ok) throw new ConfigError(result.errors);
  return result.value;
}

/** A variable's value; empty counts as unset, as the OTel specification says for its own. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

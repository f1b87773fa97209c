// Reading configuration from an environment object. Every resolver takes the environment as an
// argument (never `process.env` itself), so resolution stays pure and tests pass plain objects.

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A variable's value, or undefined when it is unset. Empty counts as unset, as the OpenTelemetry
 * specification says for its own variables; so does a value of only whitespace, which is what
 * an empty value quoted carelessly in a shell or a .env file becomes.
 */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Whether the variable is set at all, even to an empty value. */
export function envPresent(env: Env, name: string): boolean {
  return env[name] !== undefined;
}

import type { Env } from './env.js';
import { envValue } from './env.js';
import type { Problems } from './problems.js';
import type { ValueKind } from './value-kinds.js';

/**
 * The one shape every setting is declared in: its variable, its flag (if the command has one),
 * its kind of value, default and meaning. `--help` and docs/configuration.md are generated from
 * these tables, so they cannot drift from what the code reads.
 */
export interface OptionSpec<T> {
  /** Environment variable. */
  readonly env: string;
  /** Command-line flag without dashes; none for secrets (they would show in `ps`). */
  readonly flag?: string;
  /** The programmatic option that overrides the variable, where there is one. */
  readonly option?: string;
  readonly kind: ValueKind<T>;
  readonly default: T;
  /** The default as people read it, when the value alone does not say it. */
  readonly defaultText?: string;
  readonly help: string;
}

/** A table whose keys are the names of the settings in code. */
export type OptionTable<V> = { readonly [K in keyof V]-?: OptionSpec<V[K]> };

/** Each setting's environment variable by the setting's name, for code and docs that name them. */
export function envNames<T extends Readonly<Record<string, { readonly env: string }>>>(
  table: T,
): { readonly [K in keyof T]: T[K]['env'] } {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, spec.env])) as {
    readonly [K in keyof T]: T[K]['env'];
  };
}

/** A table row as `--help` and the docs show it. */
export interface OptionRow {
  readonly name: string;
  readonly env: string;
  readonly flag: string | undefined;
  readonly option: string | undefined;
  readonly expected: string;
  readonly default: string;
  readonly help: string;
}

export function optionRows(table: Readonly<Record<string, OptionSpec<unknown>>>): OptionRow[] {
  return Object.entries(table).map(([name, spec]) => ({
    name,
    env: spec.env,
    flag: spec.flag,
    option: spec.option,
    expected: spec.kind.expected,
    default: spec.defaultText ?? showDefault(spec.default),
    help: spec.help,
  }));
}

function showDefault(value: unknown): string {
  if (value === undefined || value === '') return '(empty)';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** Flag texts by flag name, as `util.parseArgs` gives them. */
export type FlagValues = Readonly<
  Record<string, string | boolean | readonly (string | boolean)[] | undefined>
>;

/**
 * Every setting of `table`: a flag wins over its variable, which wins over the default. A bad
 * value is a problem naming its source; the default then applies.
 */
export function readOptionTable<V>(
  table: OptionTable<V>,
  env: Env,
  flags: FlagValues,
  problems: Problems,
): V {
  const values = {} as V;
  for (const key of Object.keys(table) as (keyof V & string)[]) {
    const spec = table[key] as OptionSpec<V[typeof key]>;
    const flagText = spec.flag === undefined ? undefined : flags[spec.flag];
    // A given flag decides alone: the variable it overrides is not even parsed.
    const [text, source] =
      typeof flagText === 'string'
        ? [flagText, `--${spec.flag}`]
        : [envValue(env, spec.env), spec.env];
    values[key] = problems.read(spec.kind, text, source) ?? spec.default;
    problems.used([source], values[key], 'the default');
  }
  return values;
}

/**
 * Checks values given in code as if they had been written as text: the type of the default,
 * then the kind's rule. Problems name the setting and its variable.
 */
export function checkOptionTable<V>(table: OptionTable<V>, values: V, problems: Problems): void {
  for (const key of Object.keys(table) as (keyof V & string)[]) {
    const spec = table[key] as OptionSpec<unknown>;
    const value: unknown = values[key];
    const source = `${key} (${spec.env})`;
    if (typeof value !== typeof spec.default) {
      problems.add(`${source}: expected a ${typeof spec.default}, got ${typeof value}`, source);
    } else if (value !== spec.default) {
      problems.read(spec.kind, String(value), source);
    }
  }
}

/** A value given in code for a setting, and how to check it. */
export interface CodeOption<T> {
  /** As messages name it, e.g. `push.intervalMs`. */
  readonly name: string;
  readonly value: T | undefined;
  /** Default: any value of the right type. */
  readonly valid?: (value: T) => boolean;
  readonly expected?: string;
}

/**
 * One setting from its sources in order: the option given in code, then the variables (most
 * specific first), then `fallback`. A bad value is a problem and is skipped, as the
 * OpenTelemetry specification asks of a value that cannot be parsed; the problem records what
 * was used instead.
 */
export function resolveSetting<T, D = T>(
  problems: Problems,
  env: Env,
  variables: readonly Pick<OptionSpec<T>, 'env' | 'kind'>[],
  fallback: D,
  option?: CodeOption<T>,
): T | D {
  return resolveSourced(problems, env, variables, fallback, option).value;
}

/** {@link resolveSetting}, also saying where the value came from (undefined: the fallback). */
export function resolveSourced<T, D = T>(
  problems: Problems,
  env: Env,
  variables: readonly Pick<OptionSpec<T>, 'env' | 'kind'>[],
  fallback: D,
  option?: CodeOption<T>,
): { value: T | D; source: string | undefined } {
  const skipped: string[] = [];
  if (option !== undefined && option.value !== undefined) {
    const value = option.value;
    if (option.valid === undefined || option.valid(value)) {
      return { value, source: `option ${option.name}` };
    }
    problems.refuseOption(option.name, value, option.expected ?? 'a valid value');
    skipped.push(`option ${option.name}`);
  }
  for (const spec of variables) {
    const value = problems.read(spec.kind, envValue(env, spec.env), spec.env);
    if (value !== undefined) {
      problems.used(skipped, value, `from ${spec.env}`);
      return { value, source: spec.env };
    }
    skipped.push(spec.env);
  }
  problems.used(skipped, fallback, 'the default');
  return { value: fallback, source: undefined };
}

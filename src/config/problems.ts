import type { Resolved } from './config-error.js';
import { parseKind, type ValueKind } from './value-kinds.js';

interface Problem {
  readonly source: string;
  readonly message: string;
  /** What was used instead, once the resolver knows. */
  fallback: string | undefined;
  /** The whole warning, for problems merged from a nested resolution. */
  readonly warning?: string;
}

/**
 * Collects every configuration problem of one resolution, in one message format: the source (a
 * variable, `--flag` or `option name`), the bad value, and what was expected. The resolver then
 * records what it used instead of each bad value, for callers that warn and carry on.
 */
export class Problems {
  readonly #items: Problem[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** A problem not about a single value (a rule between settings, say). */
  add(message: string, source = ''): void {
    this.#items.push({ source, message, fallback: undefined });
  }

  /** `text` from `source` parsed by `kind`; undefined, and a problem, when it does not parse. */
  read<T>(kind: ValueKind<T>, text: string | undefined, source: string): T | undefined {
    if (text === undefined) return undefined;
    const parsed = parseKind(kind, text);
    if (parsed.ok) return parsed.value;
    // A secret's text is never repeated; its kind's refusal names the bad part only.
    const shown = kind.secret ? '' : `=${JSON.stringify(text)}`;
    this.add(`${source}${shown}: ${parsed.reason}`, source);
    return undefined;
  }

  /** A value given in code that is not acceptable. */
  refuseOption(name: string, value: unknown, expected: string): void {
    this.add(`option ${name}=${show(value)}: expected ${expected}`, `option ${name}`);
  }

  /**
   * Records `value` as what applies instead of every unsettled problem from `sources`; `origin`
   * says where it came from, e.g. "the default" or "from OTEL_EXPORTER_OTLP_PROTOCOL".
   */
  used(sources: readonly string[], value: unknown, origin?: string): void {
    for (const p of this.#items) {
      if (p.fallback === undefined && sources.includes(p.source)) {
        p.fallback = `using ${show(value)}${origin === undefined ? '' : ` (${origin})`}`;
      }
    }
  }

  /** Like {@link used}, with what happens instead said in words (e.g. "ignored"). */
  instead(sources: readonly string[], description: string): void {
    for (const p of this.#items) {
      if (p.fallback === undefined && sources.includes(p.source)) p.fallback = description;
    }
  }

  /** Merges the problems of a nested resolution. */
  addAll(result: Resolved<unknown>): void {
    if (result.ok) return;
    result.errors.forEach((message, i) => {
      this.#items.push({ source: '', message, fallback: undefined, warning: result.warnings[i] });
    });
  }

  result<T>(value: T): Resolved<T> {
    if (this.#items.length === 0) return { ok: true, value };
    return {
      ok: false,
      errors: this.#items.map((p) => p.message),
      warnings: this.#items.map(
        (p) => p.warning ?? (p.fallback === undefined ? p.message : `${p.message}; ${p.fallback}`),
      ),
      fallback: value,
    };
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return value.join(',') || '(none)';
  if (value === undefined) return 'nothing';
  return String(value);
}

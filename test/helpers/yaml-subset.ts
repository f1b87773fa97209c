// A reader for the plain subset of YAML that the repository's YAML files use (compose, Grafana
// provisioning, collector and Prometheus configs), so tests can check them without a YAML
// dependency: block mappings and sequences, flow sequences and mappings of scalars, plain and
// quoted scalars, comments. Anything else (anchors, tags, multi-line strings, documents) is an
// error naming the line, so a file cannot silently drift outside what is checked.
import { readFileSync } from 'node:fs';

export type YamlValue =
  | string
  | number
  | boolean
  | null
  | YamlValue[]
  | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

export class YamlSubsetError extends Error {
  override name = 'YamlSubsetError';
}

/** Removes a comment (`#` at the start or after whitespace, outside quotes). */
function stripComment(raw: string): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1] ?? ''))) return raw.slice(0, i);
  }
  return raw;
}

/**
 * Visits the characters of `text` that stand at the top level (outside quotes and brackets);
 * the visitor returns true to stop. Returns the index it stopped at, or -1.
 */
function scanTop(text: string, visit: (c: string, i: number) => boolean): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (depth === 0 && visit(c, i)) return i;
  }
  return -1;
}

/** Splits at top-level `sep` characters (outside quotes and brackets). */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  scanTop(text, (c, i) => {
    if (c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    return false;
  });
  parts.push(text.slice(start));
  return parts;
}

/** Index of the `:` that separates a key from its value, or -1. */
function keySeparator(text: string): number {
  return scanTop(text, (c, i) => c === ':' && (i === text.length - 1 || text[i + 1] === ' '));
}

function scalar(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t.startsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      throw new YamlSubsetError(`line ${no}: bad double-quoted string ${t}`);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2)
      throw new YamlSubsetError(`line ${no}: bad single-quoted string ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[&*!|>%@`]/.test(t)) throw new YamlSubsetError(`line ${no}: outside the YAML subset: ${t}`);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return t;
}

function inline(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new YamlSubsetError(`line ${no}: unclosed [`);
    const body = t.slice(1, -1).trim();
    return body === '' ? [] : splitTop(body, ',').map((p) => inline(p, no));
  }
  if (t.startsWith('{')) {
    if (!t.endsWith('}')) throw new YamlSubsetError(`line ${no}: unclosed {`);
    const body = t.slice(1, -1).trim();
    const out: Record<string, YamlValue> = {};
    if (body === '') return out;
    for (const entry of splitTop(body, ',')) {
      const at = keySeparator(entry);
      if (at < 0) throw new YamlSubsetError(`line ${no}: flow mapping entry without key: ${entry}`);
      out[String(scalar(entry.slice(0, at), no))] = inline(entry.slice(at + 1), no);
    }
    return out;
  }
  return scalar(t, no);
}

function parseBlock(lines: Line[], i: number, indent: number): [YamlValue, number] {
  const first = lines[i];
  if (first === undefined || first.indent < indent) return [null, i];
  return first.text === '-' || first.text.startsWith('- ')
    ? parseSequence(lines, i, first.indent)
    : parseMapping(lines, i, first.indent);
}

function parseMapping(lines: Line[], i: number, indent: number): [YamlValue, number] {
  const out: Record<string, YamlValue> = {};
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new YamlSubsetError(`line ${line.no}: unexpected indentation`);
    if (line.text.startsWith('- ')) break;
    const at = keySeparator(line.text);
    if (at < 0) throw new YamlSubsetError(`line ${line.no}: expected key: value, got ${line.text}`);
    const key = String(scalar(line.text.slice(0, at), line.no));
    if (Object.hasOwn(out, key)) throw new YamlSubsetError(`line ${line.no}: duplicate key ${key}`);
    const rest = line.text.slice(at + 1).trim();
    i++;
    if (rest !== '') {
      out[key] = inline(rest, line.no);
      continue;
    }
    const next = lines[i];
    // A sequence may sit at the key's own indentation.
    if (
      next !== undefined &&
      (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))
    ) {
      [out[key], i] = parseBlock(lines, i, next.indent);
    } else out[key] = null;
  }
  return [out, i];
}

function parseSequence(lines: Line[], i: number, indent: number): [YamlValue, number] {
  const out: YamlValue[] = [];
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
    const item = line.text.slice(1).trim();
    if (item === '') {
      const [value, next] = parseBlock(lines, i + 1, indent + 1);
      out.push(value);
      i = next;
    } else if (!item.startsWith('[') && !item.startsWith('{') && keySeparator(item) >= 0) {
      // `- key: value` starts a mapping whose keys line up with `key`.
      const column = indent + (line.text.length - line.text.slice(1).trimStart().length);
      lines[i] = { indent: column, text: item, no: line.no };
      const [value, next] = parseMapping(lines, i, column);
      out.push(value);
      i = next;
    } else {
      out.push(inline(item, line.no));
      i++;
    }
  }
  return [out, i];
}

export function parseYamlSubset(text: string): YamlValue {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, n) => {
    if (raw.includes('\t')) throw new YamlSubsetError(`line ${n + 1}: tab character`);
    if (/^(---|\.\.\.)\s*$/.test(raw))
      throw new YamlSubsetError(`line ${n + 1}: multiple documents`);
    const content = stripComment(raw).trimEnd();
    if (content.trim() === '') return;
    lines.push({
      indent: content.length - content.trimStart().length,
      text: content.trim(),
      no: n + 1,
    });
  });
  if (lines.length === 0) return null;
  const [value, next] = parseBlock(lines, 0, 0);
  if (next < lines.length) {
    throw new YamlSubsetError(`line ${lines[next]?.no}: unexpected content ${lines[next]?.text}`);
  }
  return value;
}

export function readYamlSubset(path: string): YamlValue {
  try {
    return parseYamlSubset(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new YamlSubsetError(`${path}: ${(error as Error).message}`);
  }
}

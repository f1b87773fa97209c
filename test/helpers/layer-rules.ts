// The layers of src/ (and of the same tree built into dist/) and which may import which.
// Imports point down only, and the client and the server stacks meet only in protocol/ and
// config/, so an application that loads the client never loads the ingest server.
import { isBuiltin } from 'node:module';
import { posix } from 'node:path';
import { type ImportGraph, isRelative } from './import-graph.js';

export type Layer =
  | 'client-entry'
  | 'server-entry'
  | 'client'
  | 'instrumentation'
  | 'exporters'
  | 'ingest'
  | 'protocol'
  | 'config';

/** What each layer may import from the project's own files (itself included). */
export const ALLOWED_IMPORTS: Readonly<Record<Layer, readonly Layer[]>> = {
  'client-entry': ['client', 'instrumentation', 'exporters', 'protocol', 'config'],
  'server-entry': ['ingest', 'protocol', 'config'],
  client: ['client', 'instrumentation', 'exporters', 'protocol', 'config'],
  instrumentation: ['instrumentation', 'protocol', 'config'],
  exporters: ['exporters', 'protocol', 'config'],
  ingest: ['ingest', 'protocol', 'config'],
  protocol: ['protocol', 'config'],
  config: ['config'],
};

/**
 * Layers whose files must stay pure, so any runtime and either side can load them: no Node.js
 * built-in module at all. Config reads only the env object it is handed.
 */
export const NO_NODE_BUILTINS: readonly Layer[] = ['protocol', 'config'];

/** Built-ins that listen for connections: the client entry must never load them. */
export const SERVER_MODULES: readonly string[] = ['http', 'https', 'http2', 'net', 'dgram'];

/** The layer of a path relative to src/ or to the build's root; undefined outside the layers. */
export function layerOf(path: string): Layer | undefined {
  const withoutExtension = path.replace(/\.(d\.)?[cm]?[jt]s$/, '');
  if (withoutExtension === 'index') return 'client-entry';
  if (withoutExtension === 'ingest') return 'server-entry';
  const top = path.split('/')[0];
  switch (top) {
    case 'client':
    case 'instrumentation':
    case 'exporters':
    case 'ingest':
    case 'protocol':
    case 'config':
      return top;
    default:
      return undefined;
  }
}

/** The path, relative to the same root, that a relative specifier in `from` points at. */
export function target(from: string, specifier: string): string {
  return posix.normalize(posix.join(posix.dirname(from), specifier));
}

/** Every import in `graph` that runs against the layers, as `file → specifier: why`. */
export function layerViolations(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [file, imports] of graph) {
    const layer = layerOf(file);
    if (layer === undefined) {
      problems.push(`${file}: not in any layer`);
      continue;
    }
    for (const { specifier } of imports) {
      if (isRelative(specifier)) {
        const to = layerOf(target(file, specifier));
        if (to === undefined || !ALLOWED_IMPORTS[layer].includes(to)) {
          problems.push(`${file} → ${specifier}: ${layer} may not import ${to ?? 'outside src'}`);
        }
      } else if (NO_NODE_BUILTINS.includes(layer) && isBuiltin(specifier)) {
        problems.push(`${file} → ${specifier}: ${layer} imports no Node.js built-in`);
      }
    }
  }
  return problems;
}

/** The `node:` server modules (with or without the prefix) that files in `graph` import. */
export function serverModuleImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, imports] of graph) {
    for (const { specifier } of imports) {
      if (SERVER_MODULES.includes(specifier.replace(/^node:/, ''))) {
        found.push(`${file} → ${specifier}`);
      }
    }
  }
  return found;
}

// Walks the built package (dist/, which `npm test` builds before vitest) from the files that
// package.json exports, so what is checked is what an application really loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImportGraph, readGraph } from '../helpers/import-graph.js';
import { layerViolations, serverModuleImports } from '../helpers/layer-rules.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LAYER_FOLDERS = new Set([
  'client',
  'instrumentation',
  'exporters',
  'ingest',
  'protocol',
  'config',
]);

interface PackageJson {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** Every JavaScript file an export's conditions name (type declarations left out). */
function exportTargets(conditions: unknown): string[] {
  if (typeof conditions === 'string') return /\.d\.[cm]?ts$/.test(conditions) ? [] : [conditions];
  if (conditions === null || typeof conditions !== 'object') return [];
  return Object.entries(conditions).flatMap(([key, value]) =>
    key === 'types' ? [] : exportTargets(value),
  );
}

/**
 * The graph from one entry file, with paths relative to the build's root (dist/, or a copy for
 * another module system): the folder above the first layer folder in the entry's path.
 */
function graphFrom(entry: string): ImportGraph {
  const parts = entry.replace(/^\.\//, '').split('/');
  const layerAt = parts.findIndex((part, i) => i < parts.length - 1 && LAYER_FOLDERS.has(part));
  const rootParts = layerAt === -1 ? parts.slice(0, -1) : parts.slice(0, layerAt);
  const file = parts.slice(rootParts.length).join('/');
  return readGraph(join(ROOT, ...rootParts), [file]);
}

// One file often serves several conditions (import, require, default): check each file once.
const clientEntries = [...new Set(exportTargets(pkg.exports['.']))];
const serverEntries = [
  ...new Set([...exportTargets(pkg.exports['./ingest']), ...Object.values(pkg.bin)]),
];

describe('the built package keeps client and server apart', () => {
  it('package.json names the entry files', () => {
    expect(clientEntries.length).toBeGreaterThan(0);
    expect(serverEntries.length).toBeGreaterThan(1);
  });

  it.each(clientEntries)('%s reaches no ingest, store, dashboard or server module', (entry) => {
    const graph = graphFrom(entry);
    const files = [...graph.keys()];
    expect(files.some((file) => file.startsWith('client/'))).toBe(true);
    expect(files.filter((file) => file.startsWith('ingest/'))).toEqual([]);
    expect(files.filter((file) => /embedded-store|dashboard|server/.test(file))).toEqual([]);
    expect(serverModuleImports(graph)).toEqual([]);
  });

  it.each(serverEntries)('%s reaches no client, instrumentation or exporter code', (entry) => {
    const files = [...graphFrom(entry).keys()];
    expect(files.some((file) => file.startsWith('ingest/'))).toBe(true);
    expect(files.filter((file) => /^(client|instrumentation|exporters)\//.test(file))).toEqual([]);
  });

  it.each([...clientEntries, ...serverEntries])('%s: every import follows the layers', (entry) => {
    expect(layerViolations(graphFrom(entry))).toEqual([]);
  });
});

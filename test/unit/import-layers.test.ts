import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ImportGraph,
  parseImports,
  readGraph,
  statementsOtherThanReExports,
} from '../helpers/import-graph.js';
import { layerOf, layerViolations, serverModuleImports } from '../helpers/layer-rules.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** Every .ts file under src/, whether an entry point reaches it or not. */
function sourceGraph(): ImportGraph {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .map((path) => path.split('\\').join('/'))
    .filter((path) => path.endsWith('.ts'));
  return new Map(
    files.map((file) => [file, parseImports(readFileSync(join(SRC, file), 'utf8'), file)]),
  );
}

describe('src/ imports follow the layers', () => {
  const graph = sourceGraph();

  it('reads the whole tree', () => {
    for (const file of ['index.ts', 'ingest.ts', 'protocol/schema.ts', 'ingest/server.ts']) {
      expect(graph.has(file), file).toBe(true);
    }
  });

  it('every file lies in a layer', () => {
    const outside = [...graph.keys()].filter((file) => layerOf(file) === undefined);
    expect(outside).toEqual([]);
  });

  it('no import runs against the layers (type-only imports included)', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('the entry points only re-export', () => {
    for (const entry of ['index.ts', 'ingest.ts']) {
      const source = readFileSync(join(SRC, entry), 'utf8');
      expect(statementsOtherThanReExports(source, entry), entry).toEqual([]);
    }
  });

  it('the client entry reaches no server code', () => {
    const reached = readGraph(SRC, ['index.ts']);
    expect([...reached.keys()].filter((file) => file.startsWith('ingest/'))).toEqual([]);
    expect(serverModuleImports(reached)).toEqual([]);
    expect(reached.has('client/client-metrics.ts')).toBe(true);
  });
});

describe('the layer check itself', () => {
  const graphOf = (entries: Record<string, string>): ImportGraph =>
    new Map(Object.entries(entries).map(([file, source]) => [file, parseImports(source, file)]));

  it('finds each kind of import', () => {
    const imports = parseImports(
      [
        "import a from './a.js';",
        "import type { B } from './b.js';",
        "export { c } from './c.js';",
        "export type { D } from './d.js';",
        "import './e.js';",
        "const f = await import('./f.js');",
        "const g = require('./g.js');",
      ].join('\n'),
      'x.ts',
    );
    expect(imports.map((i) => `${i.specifier}${i.typeOnly ? ' (type)' : ''}`).sort()).toEqual([
      './a.js',
      './b.js (type)',
      './c.js',
      './d.js (type)',
      './e.js',
      './f.js',
      './g.js',
    ]);
  });

  it('reports imports upwards, sideways and of built-ins in protocol/ and config/', () => {
    const problems = layerViolations(
      graphOf({
        'protocol/schema.ts': "import { readFile } from 'node:fs';\nimport 'os';",
        'protocol/encode.ts': "import type { X } from '../exporters/push/sample-store.js';",
        'config/env.ts': "import { SCHEMA } from '../protocol/schema.js';\nimport 'node:util';",
        'instrumentation/a.ts': "import { b } from '../exporters/b.js';",
        'exporters/b.ts': "export { a } from '../instrumentation/a.js';",
        'exporters/c.ts': "const s = await import('../ingest/server.js');",
        'ingest/server.ts': "import { c } from '../client/client-metrics.js';",
        'client/x.ts': "import { s } from '../ingest/sinks/embedded-store.js';",
        'index.ts': "export { createIngestServer } from './ingest/server.js';",
        'ingest.ts': "export { peerId } from './instrumentation/identifiers.js';",
        'stray.ts': '',
      }),
    );
    expect(problems).toEqual([
      'protocol/schema.ts → node:fs: protocol imports no Node.js built-in',
      'protocol/schema.ts → os: protocol imports no Node.js built-in',
      'protocol/encode.ts → ../exporters/push/sample-store.js: protocol may not import exporters',
      'config/env.ts → ../protocol/schema.js: config may not import protocol',
      'config/env.ts → node:util: config imports no Node.js built-in',
      'instrumentation/a.ts → ../exporters/b.js: instrumentation may not import exporters',
      'exporters/b.ts → ../instrumentation/a.js: exporters may not import instrumentation',
      'exporters/c.ts → ../ingest/server.js: exporters may not import ingest',
      'ingest/server.ts → ../client/client-metrics.js: ingest may not import client',
      'client/x.ts → ../ingest/sinks/embedded-store.js: client may not import ingest',
      'index.ts → ./ingest/server.js: client-entry may not import ingest',
      'ingest.ts → ./instrumentation/identifiers.js: server-entry may not import instrumentation',
      'stray.ts: not in any layer',
    ]);
  });

  it('accepts imports downwards and packages', () => {
    const problems = layerViolations(
      graphOf({
        'index.ts': "export { createClientMetrics } from './client/client-metrics.js';",
        'client/client-metrics.ts':
          "import '../instrumentation/a.js';\nimport '../exporters/b.js';",
        'exporters/push/b.ts':
          "import { gzip } from 'node:zlib';\nimport '../../protocol/schema.js';",
        'protocol/version-range.ts': "import semver from 'semver';\nimport '../config/env.js';",
      }),
    );
    expect(problems).toEqual([]);
  });

  it('finds server modules and non-re-export statements', () => {
    const graph = graphOf({
      'a.ts': "import { createServer } from 'node:http';\nimport 'net';\nimport 'node:zlib';",
    });
    expect(serverModuleImports(graph)).toEqual(['a.ts → node:http', 'a.ts → net']);
    expect(
      statementsOtherThanReExports("export { a } from './a.js';\nexport const b = 1;", 'i.ts'),
    ).toEqual(['export const b = 1;']);
  });
});

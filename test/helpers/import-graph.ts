// Reads the module graph of the sources or of the built package with TypeScript's own parser,
// so every form of import counts: static, type-only, re-exports, side-effect and dynamic
// `import('…')` and `require('…')` with a literal specifier. Only the project's own files are followed; bare
// specifiers (packages, `node:` modules) are recorded where they are imported.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface ModuleImport {
  specifier: string;
  /** `import type` / `export type`: erased from the build, but still a dependency between layers. */
  typeOnly: boolean;
}

/** A file's path relative to the walked root, with `/` separators, and what it imports. */
export type ImportGraph = Map<string, ModuleImport[]>;

function parse(source: string, fileName: string): ts.SourceFile {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  return ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, kind);
}

function staticImport(statement: ts.Statement): ModuleImport | undefined {
  if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
    const typeOnly = statement.importClause?.isTypeOnly === true;
    return { specifier: statement.moduleSpecifier.text, typeOnly };
  }
  if (
    ts.isExportDeclaration(statement) &&
    statement.moduleSpecifier !== undefined &&
    ts.isStringLiteral(statement.moduleSpecifier)
  ) {
    return { specifier: statement.moduleSpecifier.text, typeOnly: statement.isTypeOnly };
  }
  return undefined;
}

/** Every import of one source text. */
export function parseImports(source: string, fileName: string): ModuleImport[] {
  const file = parse(source, fileName);
  const imports: ModuleImport[] = [];
  for (const statement of file.statements) {
    const found = staticImport(statement);
    if (found !== undefined) imports.push(found);
  }
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      imports.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return imports;
}

/** The statements of an entry point that are not `export … from '…'`, as source text. */
export function statementsOtherThanReExports(source: string, fileName: string): string[] {
  const file = parse(source, fileName);
  return file.statements
    .filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined))
    .map((s) => s.getText(file).split('\n')[0] ?? '');
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

/**
 * The file a relative specifier names. Sources import `./x.js` and mean `./x.ts` (NodeNext
 * resolution), so under `src` a `.js` that does not exist is looked up as `.ts`.
 */
export function resolveRelative(root: string, from: string, specifier: string): string {
  const absolute = join(root, dirname(from), specifier);
  const path = existsSync(absolute) ? absolute : absolute.replace(/\.js$/, '.ts');
  return relative(root, path).split(sep).join('/');
}

/** The graph reachable from `entries` (paths relative to `root`), following relative imports. */
export function readGraph(root: string, entries: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.has(file)) continue;
    const imports = parseImports(readFileSync(join(root, file), 'utf8'), file);
    graph.set(file, imports);
    for (const { specifier } of imports) {
      if (isRelative(specifier)) pending.push(resolveRelative(root, file, specifier));
    }
  }
  return graph;
}

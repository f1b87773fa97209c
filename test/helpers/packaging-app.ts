// Packs the project as `npm pack` would for a fresh clone (no dist/, built by the prepare
// script) and installs the tarball into a throw-away application beside OTel versions of its
// own, so what is checked is what a user installs.
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ROOT, runCommand, type ScriptResult } from './run-script.js';

/** Installs and builds are slow on a loaded two-core machine; a hung registry still ends. */
const NPM_TIMEOUT_MS = 300_000;

/**
 * npm with the environment of a plain shell: variables that an outer `npm run` exports
 * (`npm_config_*`, `npm_package_*`) would otherwise reconfigure the inner npm.
 */
export async function npm(cwd: string, args: readonly string[]): Promise<ScriptResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  }
  const result = await runCommand('npm', args, { cwd, timeoutMs: NPM_TIMEOUT_MS, env });
  if (result.code !== 0) {
    throw new Error(`npm ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  }
  return result;
}

export interface PackedProject {
  /** The `npm pack` tarball. */
  readonly tarball: string;
  /** A `git+file:` URL of a repository holding the same files, as a fresh clone would. */
  readonly gitUrl: string;
}

/**
 * Copies the files git would keep (tracked and not ignored, so no dist/) to `dir`, commits
 * them to a repository of their own, links the repository's node_modules for the build, and
 * packs. With `PACKAGING_FROM_HEAD=1` the last commit is packed instead of the work tree, for
 * when uncommitted edits elsewhere do not build yet.
 */
export async function packProject(dir: string): Promise<PackedProject> {
  const source = join(dir, 'source');
  await mkdir(source, { recursive: true });
  if (process.env.PACKAGING_FROM_HEAD === '1') await extractHead(dir, source);
  else await copyWorkTree(source);
  await commitAll(source);
  await symlink(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  const packed = await npm(source, ['pack', '--json', '--pack-destination', dir]);
  const [entry] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  if (entry === undefined) throw new Error(`npm pack reported nothing:\n${packed.stdout}`);
  return { tarball: join(dir, entry.filename), gitUrl: `git+file://${source}` };
}

async function copyWorkTree(source: string): Promise<void> {
  const listed = await git(ROOT, ['ls-files', '-co', '--exclude-standard', '-z']);
  for (const file of listed.split('\0').filter((f) => f !== '')) {
    await mkdir(dirname(join(source, file)), { recursive: true });
    // A file deleted in the work tree but still tracked is simply not there.
    await cp(join(ROOT, file), join(source, file)).catch(() => {});
  }
}

async function extractHead(dir: string, source: string): Promise<void> {
  const archive = join(dir, 'head.tar');
  await git(ROOT, ['archive', '--format=tar', '-o', archive, 'HEAD']);
  const untar = await runCommand('tar', ['-xf', archive, '-C', source], { timeoutMs: 60_000 });
  if (untar.code !== 0) throw new Error(`tar failed:\n${untar.stderr}`);
}

async function git(cwd: string, args: readonly string[]): Promise<string> {
  const result = await runCommand('git', args, { cwd, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

async function commitAll(repo: string): Promise<void> {
  const identity = ['-c', 'user.name=packaging test', '-c', 'user.email=test@invalid'];
  await git(repo, ['init', '-q']);
  await git(repo, ['add', '-A']);
  await git(repo, [...identity, 'commit', '-q', '-m', 'snapshot']);
}

/** Writes `files` (relative path → content) into `app` and installs `specs` there. */
export async function createApp(
  app: string,
  files: Readonly<Record<string, string>>,
  specs: readonly string[],
): Promise<ScriptResult> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(app, file)), { recursive: true });
    await writeFile(join(app, file), content);
  }
  return npm(app, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs]);
}

interface LsNode {
  path?: string;
  version?: string;
  dependencies?: Record<string, LsNode>;
}

/** Every installed copy of each package (distinct directories, deduped entries counted once). */
export async function installedCopies(app: string): Promise<Map<string, Set<string>>> {
  const listed = await npm(app, ['ls', '--json', '--long', '--all']);
  const copies = new Map<string, Set<string>>();
  const walk = (deps: Record<string, LsNode> | undefined) => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      if (node.path === undefined) continue;
      const paths = copies.get(name) ?? new Set<string>();
      paths.add(`${node.version}@${node.path}`);
      copies.set(name, paths);
      walk(node.dependencies);
    }
  };
  walk((JSON.parse(listed.stdout) as LsNode).dependencies);
  return copies;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

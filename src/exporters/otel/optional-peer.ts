import { createRequire } from 'node:module';

/**
 * Loads an exporter package that is an optional peer dependency, at the moment its exporter is
 * selected, so an application that never selects it need not install it. The OTel packages
 * resolve `import` and `require` to the same CommonJS build, so this is the very module instance
 * a static import would give, and loading it synchronously keeps pipeline construction
 * synchronous.
 */
export function loadOptionalPeer<T>(packageName: string, exporterName: string): T {
  try {
    return requireHere(packageName) as T;
  } catch (error) {
    if (!isNotFound(error, packageName)) throw error;
    throw new MissingPeerError(packageName, exporterName, error);
  }
}

/** The exporter was selected but its package is not installed. */
export class MissingPeerError extends Error {
  override name = 'MissingPeerError';
  readonly packageName: string;

  constructor(packageName: string, exporterName: string, cause: unknown) {
    const range = peerRange(packageName);
    const spec = range === undefined ? packageName : `"${packageName}@${range}"`;
    super(
      `netbird-otel-metrics: exporter "${exporterName}" needs the package ${packageName}, which is not installed; add it with \`npm install ${spec}\` or do not select "${exporterName}"`,
      { cause },
    );
    this.packageName = packageName;
  }
}

const requireHere = createRequire(import.meta.url);

/** Not found is only about this package itself, not a module it depends on that is missing. */
function isNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return error.code === 'MODULE_NOT_FOUND' && error.message.includes(`'${packageName}'`);
}

/**
 * The version range our package.json accepts, so the advice names versions that fit this SDK
 * rather than the newest release. Read only on this error path; the relative path is the same
 * from src/ and from dist/.
 */
function peerRange(packageName: string): string | undefined {
  try {
    const manifest = requireHere('../../../package.json') as {
      peerDependencies?: Record<string, string>;
    };
    return manifest.peerDependencies?.[packageName];
  } catch {
    return undefined;
  }
}

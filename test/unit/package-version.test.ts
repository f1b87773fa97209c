// The meter's scope version and the instrumentation's version are this package's version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClientMetrics, INSTRUMENTS, METER_NAME } from '../../src/index.js';
import { PACKAGE_VERSION } from '../../src/instrumentation/package-version.js';
import { testProvider } from '../helpers/test-reader.js';

const packageJson = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
) as { name: string; version: string };

describe('package version', () => {
  it('is the version in package.json', () => {
    expect(PACKAGE_VERSION).toBe(packageJson.version);
    expect(METER_NAME).toBe(packageJson.name);
  });

  it('is the scope version of the NetBird meter and the instrumentation version', async () => {
    const { provider, reader } = testProvider();
    const m = createClientMetrics({ version: '0.40.1', meterProvider: provider, env: {} });
    m.recordSync(0.5);
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) =>
      s.metrics.some((x) => x.descriptor.name === INSTRUMENTS.sync),
    )?.scope;
    expect(scope).toEqual({
      name: packageJson.name,
      version: packageJson.version,
      schemaUrl: undefined,
    });
    expect(m.instrumentationName).toBe(packageJson.name);
    expect(m.instrumentationVersion).toBe(packageJson.version);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc, withReadmeOtelTable } from '../../scripts/config-doc.js';
import { formatMarkdown } from '../../scripts/format-markdown.js';
import { OTEL_VARIABLES } from '../../src/config/otel-variables.js';
import { CLIENT_VARIABLES } from '../../src/exporters/export-config.js';
import { PUSH_VARIABLES } from '../../src/exporters/push/push-settings.js';
import { DASHBOARD_VARIABLES } from '../../src/ingest/dashboard/config.js';
import { INGEST_OPTIONS } from '../../src/ingest/options.js';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the option tables', () => {
    const committed = readFileSync(
      join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'),
      'utf8',
    );
    // When this fails, run `npm run docs:config` and commit the result.
    expect(committed).toBe(formatMarkdown(renderConfigurationDoc(), 'docs/configuration.md'));
  });

  it("README.md's OpenTelemetry table is the generated one", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    // When this fails, run `npm run docs:config` and commit the result.
    expect(readme).toBe(formatMarkdown(withReadmeOtelTable(readme), 'README.md'));
    expect(readme).toMatch(/^\| `OTEL_METRICS_EXPORTER` +\| honoured +\|/m);
  });

  it('has a row for every variable of every table', () => {
    const doc = renderConfigurationDoc();
    const tables = [
      CLIENT_VARIABLES,
      PUSH_VARIABLES,
      OTEL_VARIABLES,
      INGEST_OPTIONS,
      DASHBOARD_VARIABLES,
    ];
    for (const table of tables) {
      for (const spec of Object.values(table))
        expect(doc).toMatch(new RegExp(`^\\| \`${spec.env}\` \\|`, 'm'));
    }
  });
});

// Writes docs/configuration.md from the option tables, and the README's table of OpenTelemetry
// variables between its markers (`npm run docs:config`), both as the formatter wants them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc, withReadmeOtelTable } from './config-doc.js';
import { formatMarkdown } from './format-markdown.js';

const root = join(import.meta.dirname, '..');
const doc = join(root, 'docs', 'configuration.md');
writeFileSync(doc, formatMarkdown(renderConfigurationDoc(), 'docs/configuration.md'));
const readme = join(root, 'README.md');
const text = withReadmeOtelTable(readFileSync(readme, 'utf8'));
writeFileSync(readme, formatMarkdown(text, 'README.md'));
process.stdout.write(`wrote ${doc} and the table in ${readme}\n`);

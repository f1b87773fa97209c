// Writes docs/configuration.md from the option tables, and the README's table of OpenTelemetry
// variables between its markers (`npm run docs:config`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc, withReadmeOtelTable } from './config-doc.js';

const root = join(import.meta.dirname, '..');
const doc = join(root, 'docs', 'configuration.md');
writeFileSync(doc, renderConfigurationDoc());
const readme = join(root, 'README.md');
writeFileSync(readme, withReadmeOtelTable(readFileSync(readme, 'utf8')));
process.stdout.write(`wrote ${doc} and the table in ${readme}\n`);

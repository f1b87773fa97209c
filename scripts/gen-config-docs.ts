// Writes docs/configuration.md from the option tables (`npm run docs:config`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc } from './config-doc.js';

const target = join(import.meta.dirname, '..', 'docs', 'configuration.md');
writeFileSync(target, renderConfigurationDoc());
process.stdout.write(`wrote ${target}\n`);

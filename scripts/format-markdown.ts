// Markdown as the repository's formatter (biome) writes it, so generated files stay as
// `npm run lint` wants them and the docs test can compare them byte for byte.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function formatMarkdown(text: string, path: string): string {
  const biome = join(import.meta.dirname, '..', 'node_modules', '.bin', 'biome');
  return execFileSync(biome, ['format', `--stdin-file-path=${path}`], {
    input: text,
    encoding: 'utf8',
  });
}

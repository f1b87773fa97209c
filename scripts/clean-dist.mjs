// Empties dist/ before a build, so files of modules that were moved or deleted in src/ are not
// packed along with the fresh output.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

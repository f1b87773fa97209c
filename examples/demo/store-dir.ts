// The demo's data folder: emptied at the start of each run so the summary covers this run only,
// but only if it is empty or was made by the demo (a marker file says so), so a mistyped
// `--data-dir` can never wipe someone's folder.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const MARKER = '.netbird-demo-store';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

export async function prepareDemoDataDir(path: string): Promise<string> {
  const dir = resolve(path);
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new DataDirError(
      `${dir} is not empty and was not made by the demo; pick an empty or new folder for --data-dir`,
    );
  }
  for (const entry of entries) {
    if (entry !== MARKER) await rm(join(dir, entry), { recursive: true, force: true });
  }
  await writeFile(
    join(dir, MARKER),
    'made by the netbird-otel-metrics demo; emptied on each run\n',
  );
  return dir;
}

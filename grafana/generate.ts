// Writes grafana/dashboards/*.json from grafana/dashboard-definitions.ts: `npx tsx grafana/generate.ts`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_FILES, renderDashboardFile } from './dashboard-definitions.js';

const dir = join(import.meta.dirname, 'dashboards');
for (const [file, build] of Object.entries(DASHBOARD_FILES)) {
  writeFileSync(join(dir, file), renderDashboardFile(build));
  console.log(`wrote ${join(dir, file)}`);
}

// A process that writes to an embedded store until it is killed: one line per write, printing
// `acked <n>` after the store acknowledged line n. For crash tests (SIGKILL mid-write).
import { EmbeddedStore } from '../../src/ingest/sinks/embedded-store.js';
import { syncLine } from './ingest-server.js';

export const CRASH_T0 = 1_773_144_000_000_000_000n;

export function crashLine(i: number): string {
  return `${syncLine(CRASH_T0 + BigInt(i), String(i))}\n`;
}

async function main(dataDir: string): Promise<void> {
  const store = await EmbeddedStore.open({ dataDir, retentionDays: 30, retentionBytes: 2 ** 30 });
  for (let i = 0; ; i++) {
    const piece = Buffer.from(crashLine(i));
    await store.write({ pieces: [piece], byteLength: piece.length, lines: 1 });
    process.stdout.write(`acked ${i}\n`);
  }
}

if (process.argv[2] !== undefined) await main(process.argv[2]);

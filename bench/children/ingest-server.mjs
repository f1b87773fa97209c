// Child process of benchmarks 4 and 5: the ingest server as it runs in production (plain Node,
// the built dist/, no TypeScript loader), so its resident memory and CPU are its own.
// Options come as JSON in INGEST_BENCH_OPTIONS; prints {"url": ...} once listening and stops on
// SIGTERM.
import { createIngestServer } from '../../dist/ingest/server.js';

const options = JSON.parse(process.env.INGEST_BENCH_OPTIONS ?? '{}');
const server = createIngestServer({ logLevel: 'error', ...options });
const { url } = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

// Child process of benchmark 4: the least a Node server taking these pushes does. node:http reads
// each body, gunzips it in one step and answers 204: no validation, no budget, no database. Its
// CPU per request is the floor the ingest's own CPU per request is read against.
// Prints {"url": ...} once listening and stops on SIGTERM.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') gunzipSync(body);
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`,
  );
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

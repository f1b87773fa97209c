import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';
import { ROOT } from '../helpers/run-script.js';

/** A client's requests in flight never keep its process running after its own code ended. */

const CHILD = join(import.meta.dirname, 'children', 'push-then-end.ts');
/** Far beyond the test's patience: the process may only exit by letting the request go. */
const GIVE_UP_MS = 20_000;

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function endWhileInFlight(mode: 'push' | 'config', url: string, silent: RecordingServer) {
  // Node itself, not the tsx wrapper, so that the kill below ends the process under test.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, url], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  try {
    const [request] = await silent.waitForRequests(1, GIVE_UP_MS);
    child.stdin.end('end\n'); // the request is in flight and will never be answered
    const result = await exited;
    return { request, output, ...result };
  } finally {
    clearTimeout(killer);
  }
}

describe('a client process ends while a request is in flight', () => {
  it('exits on its own while a push waits for a server that never answers', async () => {
    server = await startRecordingServer(() => {});
    const r = await endWhileInFlight('push', `${server.url}/push`, server);
    expect(r.request?.method).toBe('POST');
    expect(r.request?.text).toMatch(/^netbird_sync,/);
    expect({ code: r.code, signal: r.signal, output: r.output }).toEqual({
      code: 0,
      signal: null,
      output: 'ended\n',
    });
  });

  it('exits on its own while the push config is fetched from a server that never answers', async () => {
    server = await startRecordingServer(() => {});
    const r = await endWhileInFlight('config', `${server.url}/config`, server);
    expect(r.request?.method).toBe('GET');
    expect(r.request?.url).toBe('/config');
    expect({ code: r.code, signal: r.signal, output: r.output }).toEqual({
      code: 0,
      signal: null,
      output: 'ended\n',
    });
  });
});

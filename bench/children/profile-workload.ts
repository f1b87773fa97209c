// Child process of bench/profile.ts: runs the subject side of one benchmark in a loop for a few
// seconds under the V8 CPU profiler (started after the inputs are built, so only the measured
// work is in the profile) and writes the profile to the path given.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { LineValidator } from '../../src/ingest/validate/validate.js';
import { encodeLineProtocol } from '../../src/protocol/line-protocol/encode.js';
import { gunzipChunks } from '../ingest-validation.js';
import { lineBody } from '../lib/bodies.js';
import { realisticSamples } from '../lib/netbird-samples.js';
import { recordSetup } from '../record-connection.js';

const [which, secondsText = '5', out = 'bench.cpuprofile'] = process.argv.slice(2);
const seconds = Number(secondsText);
let deadline = 0;
let rounds = 0;
const session = new Session();
session.connect();
const startProfile = async () => {
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  deadline = performance.now() + seconds * 1000;
};

if (which === '1') {
  const samples = realisticSamples(100_000, { seed: 1 });
  await startProfile();
  while (performance.now() < deadline) {
    encodeLineProtocol(samples);
    rounds++;
  }
} else if (which === '2') {
  const setup = recordSetup();
  await startProfile();
  while (performance.now() < deadline) {
    for (const a of setup.attempts()) setup.metrics.recordConnection(a.stages, a.type, a.remoteKey);
    rounds++;
  }
  await setup.provider.shutdown();
} else if (which === '3') {
  const body = lineBody(50 * 2 ** 20);
  await startProfile();
  while (performance.now() < deadline) {
    const validator = new LineValidator();
    await gunzipChunks(body.gzip, (chunk) => validator.push(chunk));
    if (!validator.end().ok) throw new Error('body refused');
    rounds++;
  }
} else {
  throw new Error(`usage: profile-workload.ts 1|2|3 [seconds]`);
}
const { profile } = await session.post('Profiler.stop');
session.disconnect();
await writeFile(out, JSON.stringify(profile));
process.stdout.write(`${JSON.stringify({ which, rounds, out })}\n`);

// Tag values checked by their shape at a real ingest: a value outside its closed set, a name
// that is not one, an id that is not 16 lower-case hex digits is a 400 for the whole body (its
// valid neighbours are not stored either), while a newer client's new connection type or sync
// phase (any lower-case name, `carrier_pigeon` included) still gets through.
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbeddedStore } from '../../src/ingest/sinks/embedded-store.js';
import { PEER_ID, push, startIngest, syncLine, TS } from '../helpers/ingest-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

const AGENT = `version=0.61.2,os=linux,arch=amd64,peer_id=${PEER_ID}`;
const login = (result: string) =>
  `netbird_login,deployment_type=cloud,result=${result},${AGENT} duration_seconds=0.8 ${TS}`;
const connection = (type: string) =>
  `netbird_peer_connection,deployment_type=selfhosted,connection_type=${type},attempt_type=initial,${AGENT},connection_pair_id=fedcba9876543210 connection_to_wg_handshake_seconds=0.25,signaling_to_connection_seconds=1.5,total_seconds=1.75 ${TS}`;
const phase = (name: string) =>
  `netbird_sync_phase,deployment_type=cloud,${AGENT},phase=${name} duration_seconds=0.01 ${TS}`;

async function storedCount(store: EmbeddedStore): Promise<number> {
  let n = 0;
  for await (const _ of store.readSamples()) n++;
  return n;
}

describe('tag shapes at the ingest', () => {
  it.each([
    ['a result outside its set', login('<b>pwned</b>'), 'result'],
    [
      'a deployment type outside its set',
      syncLine().replace('=selfhosted', '=martian'),
      'deployment_type',
    ],
    ['a connection type that is not a name', connection('carrier\\ pigeon'), 'connection_type'],
    ['a peer id that is not 16 hex digits', syncLine(TS, '1.5', 'zz'), 'peer_id'],
    [
      'an upper-case pair id',
      connection('relay').replace('fedcba9876543210', 'FEDCBA9876543210'),
      'connection_pair_id',
    ],
    ['a version with a bidi control', syncLine().replace('0.61.2', '0.61.2\u202e'), 'version'],
  ])('refuses %s with 400, and stores none of the body', async (_, bad, tag) => {
    const ingest = await startIngest();
    cleanup.push(() => ingest.stop());
    const body = [syncLine(TS - 1n), bad, syncLine(TS + 1n)].join('\n');
    const r = await push(ingest.url, body);
    expect(r.status).toBe(400);
    expect(r.body).toContain('line 2: invalid tag value');
    expect(r.body).toContain(tag);
    expect(await storedCount(ingest.server.sink as EmbeddedStore)).toBe(0);
  });

  it("takes a newer client's new connection type and sync phase, and the ones it knows", async () => {
    const ingest = await startIngest();
    cleanup.push(() => ingest.stop());
    const body = [
      connection('carrier_pigeon'),
      connection('ice'),
      phase('quantum_sync'),
      phase('routes_apply'),
      login('failure'),
    ].join('\n');
    const r = await push(ingest.url, body);
    expect(r.status).toBe(204);
    expect(await storedCount(ingest.server.sink as EmbeddedStore)).toBe(5);
  });
});

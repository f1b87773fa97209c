// Proves the backends that global-setup provides are the real servers and usable through the
// shared helpers, and that a separately started server survives stop/restart with its data.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  influxCreateDatabase,
  influxQuery,
  influxRows,
  influxWrite,
  listenOnScrapeTarget,
  parseJsonExactIntegers,
  promQuery,
  uniqueName,
  vmExport,
  vmForceFlush,
  vmWrite,
  waitFor,
} from '../helpers/backend-clients.js';
import {
  BoundedLog,
  type RunningServer,
  startInfluxDB,
  startVictoriaMetrics,
} from '../setup/backends.js';

const influxdbUrl = inject('influxdbUrl');
const victoriaUrl = inject('victoriaUrl');
const prometheusUrl = inject('prometheusUrl');
const prometheusTargetPorts = inject('prometheusTargetPorts');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('provided backends', () => {
  it('InfluxDB 1.6 stores two lines at exact nanosecond times and returns them via InfluxQL', async () => {
    const ping = await fetch(`${influxdbUrl}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toMatch(/^1\.6\./);

    const db = uniqueName('backends');
    await influxCreateDatabase(influxdbUrl, db);
    // 1.7e18 + 1 is not a float64, so this also proves the times are read back exactly.
    await influxWrite(
      influxdbUrl,
      db,
      'probe,host=a value=1.5 1700000000000000001\nprobe,host=b value=2.25 1700000000000000003',
      'n',
    );
    const series = await influxQuery(influxdbUrl, db, 'SELECT host, value FROM probe', {
      epoch: 'ns',
    });
    expect(series).toHaveLength(1);
    expect(influxRows(series[0])).toEqual([
      { time: 1700000000000000001n, host: 'a', value: 1.5 },
      { time: 1700000000000000003n, host: 'b', value: 2.25 },
    ]);
  });

  it('InfluxDB errors come back as thrown errors with its message', async () => {
    await expect(influxWrite(influxdbUrl, uniqueName('missing'), 'probe value=1')).rejects.toThrow(
      /HTTP 404: .*database not found/,
    );
  });

  it('VictoriaMetrics 1.112 ingests line protocol on /api/v2/write and exports it', async () => {
    const measurement = uniqueName('backends_vm');
    const at = Date.now() - 60_000;
    await vmWrite(victoriaUrl, `${measurement},host=a value=4.5 ${at}`, 'ms');
    const series = await waitFor(
      async () => {
        await vmForceFlush(victoriaUrl);
        return vmExport(victoriaUrl, `{__name__="${measurement}_value"}`);
      },
      { timeoutMs: 10_000, intervalMs: 200, until: (s) => s.length > 0, what: 'VM export' },
    );
    expect(series).toEqual([
      { metric: { __name__: `${measurement}_value`, host: 'a' }, values: [4.5], timestamps: [at] },
    ]);
  });

  it('Prometheus answers and scrapes a /metrics server on one of the target ports', async () => {
    const buildinfo = (await (await fetch(`${prometheusUrl}/api/v1/status/buildinfo`)).json()) as {
      status: string;
      data: { version: string };
    };
    expect(buildinfo.status).toBe('success');
    expect(buildinfo.data.version).toMatch(/^2\./);

    const metric = uniqueName('backends_probe');
    const server: Server = createHttpServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE ${metric} gauge\n${metric}{kind="probe"} 42\n`);
    });
    const port = await listenOnScrapeTarget(server, prometheusTargetPorts);
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));

    // Prometheus 2.42 starts its scrape loops about 5 s after it starts, then scrapes every second.
    const samples = await waitFor(() => promQuery(prometheusUrl, metric), {
      timeoutMs: 15_000,
      intervalMs: 200,
      until: (s) => s.length > 0,
      what: `Prometheus scrape of ${metric}`,
    });
    expect(samples.map((s) => ({ metric: s.metric, value: s.value }))).toEqual([
      {
        metric: {
          __name__: metric,
          instance: `127.0.0.1:${port}`,
          job: 'netbird',
          kind: 'probe',
        },
        value: 42,
      },
    ]);
  });
});

describe('started servers', () => {
  it('keeps port and data across restart() and after stop()', async () => {
    const influx: RunningServer = await startInfluxDB();
    cleanups.push(() => influx.dispose());
    const db = uniqueName('restart');
    await influxCreateDatabase(influx.url, db);
    await influxWrite(influx.url, db, 'probe value=7 1700000000000000000', 'n');
    const readBack = async () =>
      influxRows((await influxQuery(influx.url, db, 'SELECT value FROM probe'))[0]);

    const firstPid = influx.pid;
    await influx.restart();
    expect(influx.pid).not.toBe(firstPid);
    expect(await readBack()).toEqual([{ time: 1700000000000000000n, value: 7 }]);

    await influx.stop();
    await expect(fetch(`${influx.url}/ping`)).rejects.toThrow();
    await influx.restart();
    expect(influx.url).toBe(`http://127.0.0.1:${influx.port}`);
    expect(await readBack()).toEqual([{ time: 1700000000000000000n, value: 7 }]);
  });

  it('fails with the exit reason and the log tail when the server cannot start', async () => {
    // Holds the port; connections to it are dropped at once so no socket lingers.
    const blocker = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    await expect(startVictoriaMetrics({ port: address.port })).rejects.toThrow(
      new RegExp(
        `VictoriaMetrics exited with code \\d+ before it was ready[\\s\\S]*log tail[\\s\\S]*${address.port}`,
      ),
    );
  });

  it('kills a server that does not stop within the grace period', async () => {
    const influx = await startInfluxDB({ stopGraceMs: 200 });
    cleanups.push(() => influx.dispose());
    const pid = influx.pid;
    // A stopped process cannot act on SIGTERM; only the SIGKILL after the grace period ends it.
    process.kill(pid, 'SIGSTOP');
    await influx.stop();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('gives up waiting for readiness after readyTimeoutMs and kills the server', async () => {
    const error = await startVictoriaMetrics({ readyTimeoutMs: 0 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(error)).toMatch(
      /VictoriaMetrics not ready on http:\/\/127\.0\.0\.1:\d+\/health after 0 ms/,
    );
    const pid = Number(/ pid (\d+)/.exec(String(error))?.[1]);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('helpers', () => {
  it('BoundedLog keeps only the last `limit` bytes', () => {
    const log = new BoundedLog(10);
    log.append(Buffer.from('abcdef'));
    log.append(Buffer.from('ghijkl'));
    expect(log.size).toBe(10);
    expect(log.text()).toBe('cdefghijkl');
    log.append(Buffer.from('0123456789XY'));
    expect(log.text()).toBe('23456789XY');
  });

  it('parseJsonExactIntegers keeps integers beyond 2^53 exact and leaves strings alone', () => {
    expect(
      parseJsonExactIntegers(
        '{"a":[1700000000000000001,-9007199254740993,3,1.5e300],"s":"12345678901234567890"}',
      ),
    ).toEqual({
      a: [1700000000000000001n, -9007199254740993n, 3, 1.5e300],
      s: '12345678901234567890',
    });
  });

  it('waitFor reports the last value when it times out', async () => {
    let calls = 0;
    await expect(
      waitFor(
        () => {
          calls += 1;
          return { calls };
        },
        { timeoutMs: 120, intervalMs: 20, until: () => false, what: 'the impossible' },
      ),
    ).rejects.toThrow(
      /waitFor the impossible timed out after 120 ms \(\d+ attempts\); last value: \{ calls: \d+ \}/,
    );
    expect(calls).toBeGreaterThan(1);
  });

  it('waitFor returns the first accepted value and retries after errors', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not yet');
        return calls >= 3 ? 'ready' : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 1 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });
});

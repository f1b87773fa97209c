import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { optionRows } from '../../src/config/option-table.js';
import {
  DEFAULT_OPTIONS,
  helpText,
  INGEST_OPTIONS,
  parseListenAddress,
  resolveOptions,
} from '../../src/ingest/options.js';
import { createIngestServer } from '../../src/ingest/server.js';
import { storeFileName } from '../../src/ingest/sinks/embedded-store.js';
import { waitFor } from '../helpers/backend-clients.js';
import { PEER_ID, syncLine } from '../helpers/ingest-server.js';

describe('resolveOptions', () => {
  it("has the defaults of NetBird's Go ingest", () => {
    const { options, help } = resolveOptions({}, []);
    expect(help).toBe(false);
    expect(options).toEqual(DEFAULT_OPTIONS);
    expect(options).toMatchObject({
      listen: ':8087',
      influxdbUrl: '',
      configServerUrl: '',
      configVersionSince: '0.0.0',
      configVersionUntil: '99.99.99',
      configPeriodMinutes: 5,
      maxBodyBytes: 50 * 1024 * 1024,
      maxDecodedBytes: 50 * 1024 * 1024,
      upstreamTimeoutMs: 10_000,
    });
  });

  it("reads the Go ingest's environment names and the INGEST_* ones; flags win; empty means unset", () => {
    const env = {
      INGEST_LISTEN_ADDR: '127.0.0.1:9000',
      INFLUXDB_URL: 'http://db:8086/write?db=x',
      INFLUXDB_TOKEN: 'tok',
      CONFIG_METRICS_SERVER_URL: 'https://m.example/',
      CONFIG_VERSION_SINCE: 'v0.60.0',
      CONFIG_VERSION_UNTIL: '1.2.3-rc.1',
      CONFIG_PERIOD_MINUTES: '15',
      INGEST_MAX_LINES: '500',
      INGEST_UPSTREAM_GZIP: 'false',
      INGEST_DATA_DIR: '',
      INGEST_LOG_LEVEL: 'warn',
    };
    const { options } = resolveOptions(env, [
      '--max-lines',
      '700',
      '--listen=:9100',
      '--upstream-gzip=T',
    ]);
    expect(options).toMatchObject({
      listen: ':9100',
      influxdbUrl: 'http://db:8086/write?db=x',
      influxdbToken: 'tok',
      configServerUrl: 'https://m.example/',
      configVersionSince: 'v0.60.0',
      configVersionUntil: '1.2.3-rc.1',
      configPeriodMinutes: 15,
      maxLines: 700,
      upstreamGzip: true,
      dataDir: DEFAULT_OPTIONS.dataDir,
      logLevel: 'warn',
    });
    expect(resolveOptions({}, ['-h']).help).toBe(true);
  });

  it("reads booleans as Go's strconv.ParseBool, like the clients' NB_METRICS_* variables", () => {
    for (const [text, value] of [
      ['t', true],
      ['TRUE', true],
      ['1', true],
      ['F', false],
      ['False', false],
      ['0', false],
    ] as const) {
      expect(resolveOptions({ INGEST_UPSTREAM_GZIP: text }, []).options.upstreamGzip, text).toBe(
        value,
      );
    }
  });

  it('refuses values that do not parse, naming the variable or the flag', () => {
    const bad: Array<[Record<string, string>, string[], RegExp]> = [
      [
        { CONFIG_PERIOD_MINUTES: '0' },
        [],
        /CONFIG_PERIOD_MINUTES="0": expected a whole number >= 1/,
      ],
      [{ CONFIG_PERIOD_MINUTES: '2.5' }, [], /CONFIG_PERIOD_MINUTES/],
      [{ INGEST_MAX_BODY_BYTES: '50MB' }, [], /INGEST_MAX_BODY_BYTES/],
      [{}, ['--max-lines', '-1'], /--max-lines/],
      [{ INGEST_LISTEN_ADDR: '8087' }, [], /INGEST_LISTEN_ADDR="8087": expected \[host\]:port/],
      [{ INGEST_LISTEN_ADDR: ':70000' }, [], /INGEST_LISTEN_ADDR/],
      [
        { INGEST_UPSTREAM_GZIP: 'maybe' },
        [],
        /INGEST_UPSTREAM_GZIP="maybe": expected 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False/,
      ],
      // One boolean grammar for every variable: Go's strconv.ParseBool, as the clients use.
      [{ INGEST_UPSTREAM_GZIP: 'yes' }, [], /INGEST_UPSTREAM_GZIP="yes"/],
      [{}, ['--upstream-gzip', 'on'], /--upstream-gzip="on"/],
      [{ INGEST_LOG_LEVEL: 'loud' }, [], /INGEST_LOG_LEVEL/],
      [
        { CONFIG_METRICS_SERVER_URL: 'metrics.example' },
        [],
        /CONFIG_METRICS_SERVER_URL="metrics.example": expected an absolute http or https URL/,
      ],
      [{ CONFIG_VERSION_SINCE: 'latest' }, [], /CONFIG_VERSION_SINCE/],
      [
        { INGEST_HEADERS_TIMEOUT_MS: '90000' },
        [],
        /headersTimeoutMs .* more than requestTimeoutMs/,
      ],
      [{ INGEST_MAX_IN_FLIGHT_BYTES: '1000' }, [], /maxInFlightBytes .* less than maxDecodedBytes/],
      [{}, ['--no-such-flag'], /no-such-flag/],
      [{}, ['--influxdb-token', 'x'], /influxdb-token/], // secrets only through the environment
    ];
    for (const [env, argv, message] of bad) {
      expect(() => resolveOptions(env, argv), JSON.stringify({ env, argv })).toThrow(ConfigError);
      expect(() => resolveOptions(env, argv), JSON.stringify({ env, argv })).toThrow(message);
    }
  });

  it('reports every bad variable and flag at once', () => {
    let error: unknown;
    try {
      resolveOptions({ INGEST_MAX_LINES: 'lots', INGEST_LOG_LEVEL: 'loud' }, ['--peer-burst=0']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'INGEST_MAX_LINES="lots": expected a whole number >= 1',
      '--peer-burst="0": expected a whole number >= 1',
      'INGEST_LOG_LEVEL="loud": expected one of debug, info, warn, error, silent',
    ]);
  });

  it('checks options given in code the same way', () => {
    expect(() => createIngestServer({ maxLines: 0 })).toThrow(/maxLines \(INGEST_MAX_LINES\)/);
    expect(() => createIngestServer({ upstreamGzip: 'no' as unknown as boolean })).toThrow(
      /upstreamGzip/,
    );
    expect(() => createIngestServer({ influxdbUrl: 'http://db/api/v2/write?bucket=b' })).toThrow(
      /INFLUXDB_TOKEN is required/,
    );
  });

  it('parses listen addresses like Go', () => {
    expect(parseListenAddress(':8087')).toEqual({ host: undefined, port: 8087 });
    expect(parseListenAddress('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseListenAddress('[::1]:8087')).toEqual({ host: '::1', port: 8087 });
    expect(parseListenAddress('localhost')).toBeUndefined();
  });

  it('docs/configuration.md documents every option', async () => {
    const path = join(import.meta.dirname, '..', '..', 'docs', 'configuration.md');
    const doc = await readFile(path, 'utf8');
    for (const spec of optionRows(INGEST_OPTIONS)) {
      expect(doc, spec.env).toMatch(new RegExp(`\\| \`${spec.env}\` +\\|`));
      if (spec.flag !== undefined) expect(doc, spec.flag).toContain(`\`--${spec.flag}\``);
    }
  });

  it('--help lists every option with its variable', () => {
    const text = helpText();
    for (const spec of optionRows(INGEST_OPTIONS)) {
      expect(text).toContain(spec.env);
      if (spec.flag !== undefined) expect(text).toContain(`--${spec.flag} <value>`);
    }
  });
});

// The command itself, run as `node --import tsx src/ingest/cli.ts` (the built bin runs the same file).
const CLI = join(import.meta.dirname, '..', '..', 'src', 'ingest', 'cli.ts');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exit };
}

/** The first output line matching `pattern`, once the command has printed it. */
async function waitForLine(lines: string[], pattern: RegExp): Promise<string> {
  const matching = (output: string) => output.split('\n').find((l) => pattern.test(l));
  const output = await waitFor(() => lines.join(''), {
    timeoutMs: 15_000,
    intervalMs: 20,
    until: (out) => matching(out) !== undefined,
    what: `an output line matching ${pattern}`,
  });
  return matching(output) ?? '';
}

describe('netbird-metrics-ingest (the command)', () => {
  it('--help prints every option and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout.join('')).toBe(helpText());
  });

  it('exits 2 with a clear message for a bad value or an impossible INFLUXDB_URL', async () => {
    const bad = run([], { INGEST_MAX_LINES: 'lots' });
    expect(await bad.exit).toBe(2);
    expect(bad.stderr.join('')).toContain('INGEST_MAX_LINES="lots": expected a whole number >= 1');
    const v2 = run([], { INFLUXDB_URL: 'http://db:8086/api/v2/write?org=o&bucket=b' });
    expect(await v2.exit).toBe(2);
    expect(v2.stderr.join('')).toContain('INFLUXDB_TOKEN is required');
  });

  it('logs JSON, and on SIGTERM finishes the request in flight, then exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netbird-cli-test-'));
    try {
      const r = run([], { INGEST_LISTEN_ADDR: '127.0.0.1:0', INGEST_DATA_DIR: dir });
      const listening = JSON.parse(await waitForLine(r.stdout, /"msg":"listening"/)) as {
        address: string;
        level: string;
        time: string;
      };
      expect(listening.level).toBe('info');
      expect(Number.isNaN(Date.parse(listening.time))).toBe(false);
      const [host, port] = listening.address.split(':');
      // Start a push, send half its body, signal, then send the rest.
      const body = `${syncLine()}\n`;
      const answer = new Promise<number>((resolve, reject) => {
        const req = request({
          host,
          port: Number(port),
          method: 'POST',
          path: '/',
          headers: { 'x-peer-id': PEER_ID, 'content-length': body.length },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write(body.slice(0, 20));
        setTimeout(() => {
          r.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(20)), 200);
        }, 200);
      });
      expect(await answer).toBe(204);
      expect(await r.exit).toBe(0);
      await waitForLine(r.stdout, /"msg":"stopped"/);
      const day = new Date().toISOString().slice(0, 10);
      expect(await readFile(join(dir, storeFileName(day)), 'utf8')).toContain(body);
      for (const line of r.stdout.join('').trim().split('\n'))
        expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

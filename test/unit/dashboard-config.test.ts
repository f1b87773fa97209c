import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { dashboardPlanFromEnv, influxqlFromWriteUrl } from '../../src/ingest/dashboard/config.js';
import { dashboardSourceFromEnv } from '../../src/ingest/dashboard/mount.js';

const embedded = { influxdbUrl: '', influxdbToken: '' };

describe('dashboard source from the environment', () => {
  it('reads the embedded store when the ingest keeps the samples itself', () => {
    expect(dashboardPlanFromEnv({}, embedded)).toEqual({ kind: 'embedded' });
    const source = dashboardSourceFromEnv(
      {},
      { ...embedded, readSamples: () => [], storeDescription: '/data' },
    );
    expect(source?.description).toBe('embedded store (/data)');
  });

  it('reads the InfluxDB the ingest writes to, through the /query next to its write endpoint', () => {
    expect(
      dashboardPlanFromEnv(
        {},
        {
          influxdbUrl: 'http://influxdb:8086/api/v2/write?org=netbird&bucket=metrics&precision=ns',
          influxdbToken: 'tok',
        },
      ),
    ).toEqual({
      kind: 'influxql',
      options: { url: 'http://influxdb:8086', database: 'metrics', token: 'tok' },
    });
    expect(
      influxqlFromWriteUrl('https://db.example/prefix/write?db=nb&rp=week&u=me&p=pw', ''),
    ).toEqual({
      url: 'https://db.example/prefix',
      database: 'nb',
      retentionPolicy: 'week',
      username: 'me',
      password: 'pw',
    });
    expect(influxqlFromWriteUrl('http://x/api/v2/write?org=o&bucket=db/rp', 't')).toEqual({
      url: 'http://x',
      database: 'db',
      retentionPolicy: 'rp',
      token: 't',
    });
  });

  it('lets every part be set explicitly, and switched off', () => {
    const plan = dashboardPlanFromEnv(
      {
        DASHBOARD_SOURCE: 'influxql',
        DASHBOARD_INFLUXDB_URL: 'http://reader:8086',
        DASHBOARD_INFLUXDB_DATABASE: 'nb',
        DASHBOARD_INFLUXDB_TOKEN: 'read-only',
        DASHBOARD_INFLUXDB_RP: 'autogen',
      },
      {
        influxdbUrl: 'http://influxdb:8086/api/v2/write?org=o&bucket=metrics',
        influxdbToken: 'admin',
      },
    );
    expect(plan).toEqual({
      kind: 'influxql',
      options: {
        url: 'http://reader:8086',
        database: 'nb',
        token: 'read-only',
        retentionPolicy: 'autogen',
      },
    });
    expect(dashboardPlanFromEnv({ DASHBOARD_SOURCE: 'off' }, embedded).kind).toBe('off');
    expect(dashboardSourceFromEnv({ DASHBOARD_SOURCE: 'off' }, embedded)).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(() => dashboardPlanFromEnv({ DASHBOARD_SOURCE: 'grafana' }, embedded)).toThrow(
      /DASHBOARD_SOURCE="grafana": expected one of auto, embedded, influxql, off/,
    );
    expect(() =>
      dashboardPlanFromEnv(
        { DASHBOARD_SOURCE: 'embedded' },
        { influxdbUrl: 'http://x/write?db=a', influxdbToken: '' },
      ),
    ).toThrow(ConfigError);
    // VictoriaMetrics-style URL without a bucket: nothing to derive.
    expect(() =>
      dashboardPlanFromEnv({}, { influxdbUrl: 'http://vm:8428/api/v2/write', influxdbToken: '' }),
    ).toThrow(/DASHBOARD_INFLUXDB_URL and DASHBOARD_INFLUXDB_DATABASE/);
    expect(() =>
      dashboardPlanFromEnv(
        { DASHBOARD_INFLUXDB_URL: 'ftp://x', DASHBOARD_INFLUXDB_DATABASE: 'd' },
        embedded,
      ),
    ).toThrow(/DASHBOARD_INFLUXDB_URL="ftp:\/\/x": expected an absolute http or https URL/);
    expect(() => dashboardSourceFromEnv({}, embedded)).toThrow(/needs the store reader/);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      dashboardPlanFromEnv(
        {
          DASHBOARD_SOURCE: 'grafana',
          DASHBOARD_INFLUXDB_URL: 'ftp://x',
          DASHBOARD_INFLUXDB_DATABASE: 'nb',
        },
        { influxdbUrl: 'http://vm:8428/api/v2/write', influxdbToken: '' },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DASHBOARD_SOURCE="grafana": expected one of auto, embedded, influxql, off',
      'DASHBOARD_INFLUXDB_URL="ftp://x": expected an absolute http or https URL',
    ]);
  });
});

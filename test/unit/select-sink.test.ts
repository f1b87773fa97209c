import { describe, expect, it } from 'vitest';
import { sinkKind } from '../../src/ingest/sinks/select-sink.js';
import { SinkConfigError } from '../../src/ingest/sinks/sink.js';

describe('sink selection from INFLUXDB_URL', () => {
  it('picks v2, v1 or the embedded store by path', () => {
    expect(sinkKind({ influxdbUrl: '', influxdbToken: '' })).toBe('embedded');
    expect(
      sinkKind({ influxdbUrl: 'http://db:8086/api/v2/write?org=o&bucket=b', influxdbToken: 't' }),
    ).toBe('influxdb-v2');
    expect(sinkKind({ influxdbUrl: 'http://db:8086/write?db=x', influxdbToken: '' })).toBe(
      'influxdb-v1',
    );
    expect(sinkKind({ influxdbUrl: 'http://vm:8428/influx/write?db=x', influxdbToken: '' })).toBe(
      'influxdb-v1',
    );
  });

  it('refuses settings that cannot work, naming the variable', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['not a url', '', /INFLUXDB_URL is not a URL/],
      ['ftp://db/write?db=x', '', /http or https/],
      ['http://db:8086/query?db=x', '', /must end in \/api\/v2\/write .* or \/write/],
      ['http://db:8086/write', '', /needs the database/],
      ['http://db:8086/write?db=x&precision=ms', '', /precision=ms/],
      ['http://db:8086/api/v2/write?org=o', 't', /bucket/],
      ['http://db:8086/api/v2/write?org=o&bucket=b', '', /INFLUXDB_TOKEN is required/],
      ['http://db:8086/api/v2/write?org=o&bucket=b&precision=s', 't', /precision=s/],
    ];
    for (const [url, token, message] of bad) {
      expect(() => sinkKind({ influxdbUrl: url, influxdbToken: token }), url).toThrow(
        SinkConfigError,
      );
      expect(() => sinkKind({ influxdbUrl: url, influxdbToken: token }), url).toThrow(message);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { deploymentType, peerId } from '../../src/index.js';
import { buildAgentInfo, goArch, goOs } from '../../src/instrumentation/agent-info.js';

describe('deploymentType: the host alone decides', () => {
  it.each([
    ['https://api.netbird.io', 'cloud'],
    ['https://api.netbird.io:443', 'cloud'],
    ['https://API.NetBird.IO/path?x=1', 'cloud'],
    ['api.netbird.io:443', 'cloud'],
    ['api.netbird.io', 'cloud'],
    ['API.NETBIRD.IO:33073', 'cloud'],
    ['  api.netbird.io  ', 'cloud'],
    ['grpc://api.netbird.io:443', 'cloud'],
    ['', 'unknown'],
    ['   ', 'unknown'],
    ['https://netbird.example.com', 'selfhosted'],
    ['netbird.example.com:33073', 'selfhosted'],
    ['api.netbird.io.evil.com', 'selfhosted'],
    ['https://evil.com/api.netbird.io', 'selfhosted'],
    ['evil.com/api.netbird.io', 'selfhosted'],
    ['notapi.netbird.io', 'selfhosted'],
    ['10.0.0.1:443', 'selfhosted'],
    ['[::1]:443', 'selfhosted'],
    ['https://[not a url', 'selfhosted'],
  ])('%j → %s', (input, expected) => {
    expect(deploymentType(input)).toBe(expected);
  });
});

describe('Go names for os and arch', () => {
  it.each([
    ['win32', 'windows'],
    ['darwin', 'darwin'],
    ['linux', 'linux'],
    ['freebsd', 'freebsd'],
    ['android', 'android'],
    ['sunos', 'solaris'],
  ])('os %s → %s', (node, go) => expect(goOs(node)).toBe(go));

  it.each([
    ['x64', 'amd64'],
    ['ia32', '386'],
    ['arm64', 'arm64'],
    ['arm', 'arm'],
    ['mipsel', 'mipsle'],
    ['riscv64', 'riscv64'],
    ['s390x', 's390x'],
  ])('arch %s → %s', (node, go) => expect(goArch(node)).toBe(go));

  it('tells ppc64 byte orders apart', () => {
    expect(goArch('ppc64', 'LE')).toBe('ppc64le');
    expect(goArch('ppc64', 'BE')).toBe('ppc64');
  });
});

describe('buildAgentInfo', () => {
  it('derives every shared tag', () => {
    const info = buildAgentInfo({
      version: '0.40.1',
      managementUrl: 'https://api.netbird.io:443',
      publicKey: 'k',
    });
    expect(info).toEqual({
      deploymentType: 'cloud',
      version: '0.40.1',
      os: goOs(process.platform),
      arch: goArch(process.arch),
      peerId: peerId('k'),
    });
  });

  it('has no peer id until the key is known', () => {
    expect(buildAgentInfo({ version: '1.0.0' }).peerId).toBe('');
    expect(buildAgentInfo({ version: '1.0.0' }).deploymentType).toBe('unknown');
  });
});

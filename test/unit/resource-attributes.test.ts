import { describe, expect, it } from 'vitest';
import {
  agentResourceAttributes,
  hostArch,
  osType,
} from '../../src/instrumentation/resource-attributes.js';

describe('agent resource attributes in semantic-convention values', () => {
  it.each([
    ['amd64', 'amd64'],
    ['x64', 'amd64'],
    ['386', 'x86'],
    ['ia32', 'x86'],
    ['arm', 'arm32'],
    ['arm64', 'arm64'],
    ['ppc64le', 'ppc64'],
    ['ppc64', 'ppc64'],
    ['ppc', 'ppc32'],
    ['s390x', 's390x'],
    ['ia64', 'ia64'],
    ['riscv64', 'riscv64'],
  ])('host.arch of %s is %s', (arch, want) => {
    expect(hostArch(arch)).toBe(want);
  });

  it.each([
    ['linux', 'linux'],
    ['windows', 'windows'],
    ['win32', 'windows'],
    ['darwin', 'darwin'],
    ['freebsd', 'freebsd'],
    ['dragonfly', 'dragonflybsd'],
    ['solaris', 'solaris'],
    ['sunos', 'solaris'],
    ['illumos', 'solaris'],
    ['zos', 'z_os'],
    ['aix', 'aix'],
    ['android', 'android'],
  ])('os.type of %s is %s', (os, want) => {
    expect(osType(os)).toBe(want);
  });

  it('names the NetBird version as service.version and leaves empty values out', () => {
    expect(agentResourceAttributes({ version: '0.40.1', os: 'linux', arch: 'arm' })).toEqual({
      'service.version': '0.40.1',
      'os.type': 'linux',
      'host.arch': 'arm32',
    });
    expect(agentResourceAttributes({ version: '', os: '', arch: '' })).toEqual({});
  });
});

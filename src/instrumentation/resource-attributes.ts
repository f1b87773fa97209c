// The agent as OpenTelemetry resource attributes, in the semantic conventions' values. Pure.
import type { AgentInfo } from './agent-info.js';

/**
 * Go's `GOARCH` and Node's `process.arch` names → `host.arch` values of the semantic
 * conventions (amd64, arm32, arm64, ia64, ppc32, ppc64, s390x, x86). Names outside that list
 * are passed on as they are: the convention allows other values, and a guess would be wrong.
 */
const HOST_ARCH: Readonly<Record<string, string>> = {
  amd64: 'amd64',
  x64: 'amd64',
  x86_64: 'amd64',
  '386': 'x86',
  ia32: 'x86',
  x32: 'x86',
  x86: 'x86',
  arm: 'arm32',
  arm32: 'arm32',
  arm64: 'arm64',
  aarch64: 'arm64',
  ia64: 'ia64',
  ppc: 'ppc32',
  ppc32: 'ppc32',
  ppc64: 'ppc64',
  ppc64le: 'ppc64',
  s390x: 's390x',
};

/**
 * Go's `GOOS` and Node's `process.platform` names → `os.type` values (windows, linux, darwin,
 * freebsd, netbsd, openbsd, dragonflybsd, hpux, aix, solaris, z_os); others pass unchanged.
 */
const OS_TYPE: Readonly<Record<string, string>> = {
  windows: 'windows',
  win32: 'windows',
  cygwin: 'windows',
  linux: 'linux',
  darwin: 'darwin',
  freebsd: 'freebsd',
  netbsd: 'netbsd',
  openbsd: 'openbsd',
  dragonfly: 'dragonflybsd',
  dragonflybsd: 'dragonflybsd',
  hpux: 'hpux',
  aix: 'aix',
  solaris: 'solaris',
  sunos: 'solaris',
  illumos: 'solaris',
  zos: 'z_os',
  os390: 'z_os',
  z_os: 'z_os',
};

export function hostArch(arch: string): string {
  return HOST_ARCH[arch.toLowerCase()] ?? arch;
}

export function osType(os: string): string {
  return OS_TYPE[os.toLowerCase()] ?? os;
}

/**
 * What a provider this package builds says about the process: NetBird is the service, and its
 * version is the agent's (not this package's, which is the meter's scope version). Empty
 * values are left out.
 */
export function agentResourceAttributes(
  agent: Pick<AgentInfo, 'version' | 'os' | 'arch'>,
): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (agent.version !== '') attributes['service.version'] = agent.version;
  if (agent.os !== '') attributes['os.type'] = osType(agent.os);
  if (agent.arch !== '') attributes['host.arch'] = hostArch(agent.arch);
  return attributes;
}

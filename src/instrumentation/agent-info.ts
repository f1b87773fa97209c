import { endianness } from 'node:os';
import type { DeploymentType } from '../protocol/schema.js';
import { peerId } from './identifiers.js';

/** The shared tags every sample carries, copied into each sample when it is recorded. */
export interface AgentInfo {
  readonly deploymentType: DeploymentType;
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  /** Empty until the WireGuard public key is known. */
  readonly peerId: string;
}

const CLOUD_HOST = 'api.netbird.io';

/**
 * The host of a URL or of `host[:port]`, lower-cased, equal to `api.netbird.io` is cloud;
 * empty input is unknown; anything else is self-hosted. Only the host counts, so a port, a
 * path or letter case cannot turn NetBird's cloud into a self-hosted deployment.
 */
export function deploymentType(managementAddress: string): DeploymentType {
  const text = managementAddress.trim();
  if (text === '') return 'unknown';
  return managementHost(text) === CLOUD_HOST ? 'cloud' : 'selfhosted';
}

function managementHost(text: string): string {
  // With a scheme, the URL parser knows where the host is; without one, `host[:port][/path]`.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      return new URL(text).hostname.toLowerCase();
    } catch {
      return '';
    }
  }
  const authority = text.split(/[/?#]/, 1)[0] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1).toLowerCase();
  return (hostPort.split(':', 1)[0] ?? '').replace(/\.$/, '').toLowerCase();
}

const GO_OS: Readonly<Record<string, string>> = {
  win32: 'windows',
  sunos: 'solaris',
  cygwin: 'windows',
};

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  x32: '386',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  ppc: 'ppc',
  riscv64: 'riscv64',
  s390x: 's390x',
};

/** Node's `process.platform` in Go's `runtime.GOOS` names, so dimensions match Go clients. */
export function goOs(platform: string): string {
  return GO_OS[platform] ?? platform;
}

/** Node's `process.arch` in Go's `runtime.GOARCH` names. */
export function goArch(arch: string, byteOrder: 'LE' | 'BE' = endianness()): string {
  // Node says ppc64 for both byte orders; Go tells them apart.
  if (arch === 'ppc64') return byteOrder === 'LE' ? 'ppc64le' : 'ppc64';
  return GO_ARCH[arch] ?? arch;
}

export interface AgentInfoInput {
  version: string;
  managementUrl?: string;
  /** WireGuard public key, base64; empty or absent until known. */
  publicKey?: string;
  os?: string;
  arch?: string;
}

export function buildAgentInfo(input: AgentInfoInput): AgentInfo {
  return {
    deploymentType: deploymentType(input.managementUrl ?? ''),
    version: input.version,
    os: input.os ?? goOs(process.platform),
    arch: input.arch ?? goArch(process.arch),
    peerId: input.publicKey ? peerId(input.publicKey) : '',
  };
}

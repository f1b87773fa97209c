// Version eligibility for push (`version-since <= version < version-until` from the ingest's
// `/config`), with the semantics of HashiCorp go-version, which the NetBird server side uses to write `version-since` and
// `version-until`:
//
// - an optional leading `v`; any number of numeric segments, missing ones count as zero
//   (`1.2` == `1.2.0`, `1.2.3.4` > `1.2.3`); leading zeros are ignored (`1.04` == `1.4`);
// - a pre-release after `-` (or directly after the numbers when it starts with a letter, as
//   go-version allows: `1.2.3beta`) sorts before the release (`1.2.3-beta` < `1.2.3`);
// - build metadata after `+` is ignored (`1.2.3+build` == `1.2.3`);
// - anything else (`development`, empty, whitespace around it) is not a version and is in no
//   range.
//
// Pre-release parts are compared with semver's identifier order (numeric parts numerically and
// before alphanumeric ones, alphanumeric parts in ASCII order). Where one pre-release has more
// parts, go-version's rule decides: a missing part sorts before a numeric part but after an
// alphanumeric one (`rc` < `rc.1`, but `alpha` > `alpha.beta`, unlike semver).
//
// One deliberate difference from go-version: versions with a different number of segments are
// compared after zero padding *including* their pre-release (`1.2.3.0-beta` < `1.2.3`), where
// go-version ignores the pre-release in that case.
import semver from 'semver';

export interface GoVersion {
  /** Numeric segments, at least three (padded with zeros like go-version). */
  readonly segments: readonly bigint[];
  /** Pre-release without its separator; empty for a release. */
  readonly prerelease: string;
  /** Build metadata; never affects ordering. */
  readonly metadata: string;
}

const IDENT = '[0-9A-Za-z~-]';
// Same language as go-version's VersionRegexpRaw, written with named groups.
const VERSION_PATTERN = new RegExp(
  `^v?(?<segments>[0-9]+(?:\\.[0-9]+)*?)` +
    `(?:-(?<numericPre>[0-9]+${IDENT}*(?:\\.${IDENT}+)*)|-?(?<alphaPre>[A-Za-z~-]+${IDENT}*(?:\\.${IDENT}+)*))?` +
    `(?:\\+(?<metadata>${IDENT}+(?:\\.${IDENT}+)*))?$`,
);

const INT64_MAX = 9_223_372_036_854_775_807n;

export function parseGoVersion(text: string): GoVersion | undefined {
  const groups = VERSION_PATTERN.exec(text)?.groups;
  if (groups === undefined) return undefined;
  const segments: bigint[] = [];
  for (const part of (groups.segments as string).split('.')) {
    const value = BigInt(part);
    if (value > INT64_MAX) return undefined; // go-version parses segments as int64
    segments.push(value);
  }
  while (segments.length < 3) segments.push(0n);
  return {
    segments,
    prerelease: groups.numericPre ?? groups.alphaPre ?? '',
    metadata: groups.metadata ?? '',
  };
}

export function isGoVersion(text: string): boolean {
  return parseGoVersion(text) !== undefined;
}

function compareSegments(a: readonly bigint[], b: readonly bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function comparePrereleases(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1; // a release sorts after any pre-release
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return /^[0-9]+$/.test(y as string) ? -1 : 1;
    if (y === undefined) return /^[0-9]+$/.test(x) ? 1 : -1;
    return semver.compareIdentifiers(x, y);
  }
  return 0;
}

/** -1, 0 or 1; metadata is ignored. */
export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  return compareSegments(a.segments, b.segments) || comparePrereleases(a.prerelease, b.prerelease);
}

/**
 * `since <= version < until`. False when any of the three is not a version: a build such as
 * `development` is never eligible (only force-sending bypasses the check).
 */
export function isVersionInRange(version: string, since: string, until: string): boolean {
  const v = parseGoVersion(version);
  const lo = parseGoVersion(since);
  const hi = parseGoVersion(until);
  if (v === undefined || lo === undefined || hi === undefined) return false;
  return compareGoVersions(lo, v) <= 0 && compareGoVersions(v, hi) < 0;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareGoVersions,
  isGoVersion,
  isVersionInRange,
  parseGoVersion,
} from '../../src/protocol/version-range.js';

function cmp(a: string, b: string): number {
  const va = parseGoVersion(a);
  const vb = parseGoVersion(b);
  if (va === undefined || vb === undefined) throw new Error(`not a version: ${a} / ${b}`);
  return compareGoVersions(va, vb);
}

describe('isVersionInRange: since <= version < until', () => {
  it.each([
    ['lower bound is inclusive', '1.2.2', '1.2.2', '1.2.3', true],
    ['inside the range', '1.2.2', '1.2.0', '1.3.0', true],
    ['upper bound is exclusive', '1.2.3', '1.2.2', '1.2.3', false],
    ['below the range', '1.2.1', '1.2.2', '1.2.3', false],
    ['above the range', '1.2.4', '1.2.2', '1.2.3', false],
  ])('%s: %s in [%s, %s) is %s', (_name, version, since, until, expected) => {
    expect(isVersionInRange(version, since, until)).toBe(expected);
  });

  it('keeps non-versions out of every range, including the widest', () => {
    for (const v of ['development', '', ' 1.2.3', '1.2.3 ', 'V1.2.3', '1..2', '.1', 'latest']) {
      expect(isVersionInRange(v, '0.0.0', '99999.0.0'), v).toBe(false);
    }
  });

  it('refuses a range whose bounds are not versions', () => {
    expect(isVersionInRange('1.0.0', 'dev', '2.0.0')).toBe(false);
    expect(isVersionInRange('1.0.0', '0.1.0', 'next')).toBe(false);
  });

  it('treats an empty range (since == until) as containing nothing', () => {
    expect(isVersionInRange('1.0.0', '1.0.0', '1.0.0')).toBe(false);
  });
});

describe('go-version semantics', () => {
  it('accepts an optional v and pads missing segments with zeros', () => {
    expect(cmp('v1.2', '1.2.0')).toBe(0);
    expect(cmp('1', '1.0.0')).toBe(0);
    expect(cmp('v1.2.3', '1.2.3')).toBe(0);
    expect(parseGoVersion('v1.2')?.segments).toEqual([1n, 2n, 0n]);
  });

  it('compares segments numerically, ignoring leading zeros', () => {
    expect(cmp('1.10.0', '1.9.0')).toBe(1);
    expect(cmp('1.04.0', '1.4.0')).toBe(0);
    expect(cmp('0.60.0', '0.59.99')).toBe(1);
  });

  it('supports more than three segments (1.2.3.4 > 1.2.3, 1.2.3.0 == 1.2.3)', () => {
    expect(cmp('1.2.3.4', '1.2.3')).toBe(1);
    expect(cmp('1.2.3.0', '1.2.3')).toBe(0);
    expect(cmp('1.2.3', '1.2.3.1')).toBe(-1);
    expect(isVersionInRange('1.2.3.4', '1.2.3', '1.2.4')).toBe(true);
  });

  it('sorts a pre-release before its release', () => {
    expect(cmp('1.2.3-beta', '1.2.3')).toBe(-1);
    expect(cmp('1.2.3', '1.2.3-rc.1')).toBe(1);
    expect(cmp('1.2.3-beta', '1.2.2')).toBe(1);
    // so a release candidate of the upper bound is still inside the range
    expect(isVersionInRange('2.0.0-rc.1', '1.0.0', '2.0.0')).toBe(true);
    expect(isVersionInRange('1.0.0-rc.1', '1.0.0', '2.0.0')).toBe(false);
  });

  it('orders pre-releases by their dot-separated parts', () => {
    expect(cmp('1.0.0-alpha', '1.0.0-beta')).toBe(-1);
    expect(cmp('1.0.0-rc.2', '1.0.0-rc.10')).toBe(-1);
    expect(cmp('1.0.0-1', '1.0.0-alpha')).toBe(-1); // numeric before alphanumeric
    expect(cmp('1.0.0-rc', '1.0.0-rc.1')).toBe(-1); // a missing part before a numeric one
    // go-version's rule for a missing part before an alphanumeric one (semver says the opposite)
    expect(cmp('1.0.0-alpha', '1.0.0-alpha.beta')).toBe(1);
  });

  it('accepts go-version pre-releases without a dash when they start with a letter', () => {
    expect(parseGoVersion('1.2.3beta')?.prerelease).toBe('beta');
    expect(cmp('1.2.3beta', '1.2.3')).toBe(-1);
  });

  it('ignores build metadata', () => {
    expect(cmp('1.2.3+build', '1.2.3')).toBe(0);
    expect(cmp('1.2.3+a', '1.2.3+b')).toBe(0);
    expect(cmp('1.2.3-rc.1+x', '1.2.3-rc.1')).toBe(0);
    expect(parseGoVersion('1.2.3+build.7')?.metadata).toBe('build.7');
    expect(isVersionInRange('1.2.3+build', '1.2.3', '1.2.4')).toBe(true);
  });

  it('refuses segments that do not fit an int64, as go-version does', () => {
    expect(isGoVersion('1.9223372036854775807.0')).toBe(true);
    expect(isGoVersion('1.9223372036854775808.0')).toBe(false);
  });

  it('is a total order consistent with equality (property)', () => {
    const version = fc
      .tuple(
        fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
        fc.option(fc.constantFrom('alpha', 'beta', 'rc.1', 'rc.2', '1'), { nil: undefined }),
        fc.option(fc.constantFrom('b1', 'sha.abc'), { nil: undefined }),
      )
      .map(
        ([segs, pre, meta]) => `${segs.join('.')}${pre ? `-${pre}` : ''}${meta ? `+${meta}` : ''}`,
      );
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(cmp(a, b)).toBe(-cmp(b, a) || 0);
        if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

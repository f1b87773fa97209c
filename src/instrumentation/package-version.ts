/**
 * This package's version: the scope version of the NetBird meter and the instrumentation's
 * version. A constant rather than a read of package.json at run time, so bundlers and both
 * module systems see the same value without file access; a unit test keeps it equal to
 * package.json's `version`.
 */
export const PACKAGE_VERSION = '0.1.0';

#!/usr/bin/env bash
# `npm test`: installs the real backends if missing, builds dist/, type-checks, runs vitest (extra
# arguments go to vitest), and closes with one plain line `N passed, N failed` that CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."

report=.tmp/vitest-report.json
mkdir -p .tmp
rm -f "$report"

install_failed=0
# --chromium: the dashboard tests open the built-in dashboard in Debian's headless chromium.
bash scripts/install-backends.sh --chromium || install_failed=1

# Build first: examples and tests import the package by its own name, which resolves to dist/.
build_failed=0
npx tsc -p tsconfig.build.json || build_failed=1
[[ $build_failed == 0 ]] || echo 'build failed (npx tsc -p tsconfig.build.json)' >&2
typecheck_failed=0
npx tsc -p tsconfig.json || typecheck_failed=1
[[ $typecheck_failed == 0 ]] || echo 'typecheck failed (npx tsc -p tsconfig.json)' >&2

vitest_rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || vitest_rc=$?

# Counts come from vitest's JSON; a failed step with no failing test behind it counts as one failure.
summary=$(
  REPORT="$report" VITEST_RC="$vitest_rc" EXTRA_FAILED=$((install_failed + build_failed + typecheck_failed)) node -e '
    const fs = require("node:fs");
    let passed = 0, failed = 0, skipped = 0;
    try {
      const r = JSON.parse(fs.readFileSync(process.env.REPORT, "utf8"));
      passed = r.numPassedTests;
      failed = r.numFailedTests;
      skipped = r.numPendingTests + r.numTodoTests;
      // A file that failed to load or threw outside a test has no failed test of its own.
      for (const file of r.testResults ?? []) {
        if (file.status === "failed" && !(file.assertionResults ?? []).some((a) => a.status === "failed")) failed++;
      }
    } catch {}
    if (process.env.VITEST_RC !== "0" && failed === 0) failed = 1;
    failed += Number(process.env.EXTRA_FAILED);
    console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  '
)
echo "$summary"
[[ $summary == *" 0 failed"* && $vitest_rc == 0 ]]

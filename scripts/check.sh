#!/usr/bin/env bash
# The one command that installs everything and runs every check (the README's test command; CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."

# CI reads the last line, `N passed, N failed`: a step that fails before the tests still ends with one.
step="set-up"
counted=0
closing_line() {
  if [ "$counted" = 0 ]; then
    echo "stopped before the tests: $step failed (its output is above)" >&2
    echo "0 passed, 1 failed, 0 skipped"
  fi
}
trap closing_line EXIT

source scripts/bootstrap.sh
source scripts/postgres.sh
source scripts/chromium.sh

step="lint and format"
echo "› $step" >&2
pnpm exec biome ci . >&2
step="build and typecheck"
echo "› $step" >&2
pnpm exec turbo run build typecheck --output-logs=errors-only >&2
step="public API reports"
echo "› $step (docs/api: \`pnpm api:update\` after a deliberate change)" >&2
node scripts/api-report.mjs >&2
step="consumer test"
bash scripts/consumer-test.sh >&2

step="tests"
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || status=$?
counted=1
node scripts/test-counts.mjs .test-results/vitest.json
exit "$status"

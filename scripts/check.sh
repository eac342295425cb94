#!/usr/bin/env bash
# The one command that installs everything and runs every check (the README's test command; CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/postgres.sh
source scripts/chromium.sh

echo "› lint and format" >&2
pnpm exec biome ci . >&2
echo "› build and typecheck" >&2
pnpm exec turbo run build typecheck --output-logs=errors-only >&2
echo "› public API reports (docs/api: \`pnpm api:update\` after a deliberate change)" >&2
node scripts/api-report.mjs >&2
bash scripts/consumer-test.sh >&2

mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || status=$?
node scripts/test-counts.mjs .test-results/vitest.json
exit "$status"

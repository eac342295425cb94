#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the demo on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm exec turbo run build --output-logs=errors-only >&2
exec node apps/cli/dist/main.js demo "$@"

#!/usr/bin/env bash
# The consumer test: what proves a packed release installs, typechecks and works in a user's project.
# Packs every published package with pnpm (as a release does), installs the tarballs with npm into a
# fresh project outside the workspace, typechecks a user's program (scripts/consumer/src) and the
# engine's examples as strictly as a careful user would, with nodenext and with bundler resolution,
# then compiles and runs them. Run from the repo root after the build (scripts/check.sh does).
# Prints one line per check with its time, then one result line; exits 1 if any check failed.
# CONSUMER_TEST_KEEP=1 keeps the temporary project to look into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

PACKAGES=(packages/core packages/crossmint-http packages/engine packages/sandbox packages/store-sqlite
  packages/store-postgres packages/console apps/cli)
TYPESCRIPT=typescript@5.9.3
TYPES_NODE=@types/node@^20

if ! command -v pnpm >/dev/null 2>&1 && [ -x .tools/node_modules/.bin/pnpm ]; then
  export PATH="$root/.tools/node_modules/.bin:$PATH"
fi
# As scripts/bootstrap.sh: should anything compile, node-gyp uses the running Node's own headers.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix=$(node -p 'require("node:path").dirname(require("node:path").dirname(process.execPath))')
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
fi

# The workspace's better-sqlite3, whose native build the consumer reuses: its JavaScript must be the
# same version (pinned with npm overrides), so nothing is compiled twice.
sqlite_dir=$(cd packages/store-sqlite && node -p 'path.dirname(require.resolve("better-sqlite3/package.json"))' 2>/dev/null ||
  find "$root/node_modules/.pnpm" -maxdepth 3 -path '*/better-sqlite3@*/node_modules/better-sqlite3' | head -n 1)
sqlite_version=$(node -p "require('$sqlite_dir/package.json').version")

work=$(mktemp -d "${TMPDIR:-/tmp}/kyc-consumer-test.XXXXXX")
if [ "${CONSUMER_TEST_KEEP:-}" = 1 ]; then trap 'echo "kept $work" >&2' EXIT; else trap 'rm -rf "$work"' EXIT; fi
consumer="$work/consumer"
mkdir -p "$work/tarballs" "$work/logs" "$consumer"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }
started=$(now_ms)
checks=0
failed=()

# report NAME LOG STATUS START_MS: one line, and below a failure its output, indented.
report() {
  local took
  took=$(seconds $(($(now_ms) - $4)))
  checks=$((checks + 1))
  if [ "$3" -eq 0 ]; then
    echo "  ok    $1 ($took)"
  else
    echo "  FAIL  $1 ($took)"
    sed 's/^/        /' "$2"
    failed+=("$1")
  fi
}

# check NAME COMMAND…: runs it, records the result, and goes on either way.
check() {
  local name=$1 log="$work/logs/$checks.log" start status=0
  shift
  start=$(now_ms)
  "$@" >"$log" 2>&1 || status=$?
  report "$name" "$log" "$status" "$start"
}

# must NAME COMMAND…: a check that nothing after it can do without.
must() {
  local before=${#failed[@]}
  check "$@"
  if [ "${#failed[@]}" -gt "$before" ]; then
    echo "consumer test: FAILED at \"$1\", so nothing after it ran ($(seconds $(($(now_ms) - started))))"
    exit 1
  fi
}

# The steps run in a `||` context, where `set -e` does not apply: each says `|| return 1` itself.
pack_all() {
  local dir
  for dir in "${PACKAGES[@]}"; do
    (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null) || {
      echo "pnpm pack failed in $dir"
      return 1
    }
  done
}

install_consumer() {
  node scripts/consumer/write-manifest.mjs "$consumer/package.json" "$sqlite_version" "$TYPESCRIPT" \
    "$TYPES_NODE" "$work"/tarballs/*.tgz || return 1
  (cd "$consumer" && npm install --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error) ||
    return 1
  if [ -e "$consumer/node_modules/vitest" ]; then
    echo "vitest was installed: a package depends on it"
    return 1
  fi
  local installed
  installed=$(node -p "require('$consumer/node_modules/better-sqlite3/package.json').version") || return 1
  if [ "$installed" != "$sqlite_version" ]; then
    echo "better-sqlite3 $installed was installed, not the workspace's $sqlite_version"
    return 1
  fi
}

copy_native_build() {
  mkdir -p "$consumer/node_modules/better-sqlite3/build/Release" &&
    cp "$sqlite_dir/build/Release/better_sqlite3.node" "$consumer/node_modules/better-sqlite3/build/Release/"
}

copy_sources() {
  cp scripts/consumer/tsconfig.*.json "$consumer/" &&
    cp -R scripts/consumer/src "$consumer/src" &&
    mkdir -p "$consumer/src/examples" &&
    cp packages/engine/examples/*.ts "$consumer/src/examples/"
}

echo "› consumer test: the packed packages in a fresh strict project ($work)"
must "pnpm pack ${#PACKAGES[@]} packages" pack_all
check "packed manifests: no workspace:/catalog: left, no source condition, every export inside" \
  node scripts/consumer/check-tarballs.mjs "$work"/tarballs/*.tgz
must "npm install the tarballs + $TYPESCRIPT + $TYPES_NODE (no scripts; better-sqlite3 $sqlite_version)" \
  install_consumer
must "copy the workspace's better-sqlite3 native build" copy_native_build
must "copy the program and the engine's examples into the project" copy_sources

cd "$consumer"
# Whatever the programs leave in the temporary folder goes when $work does, even after a crash.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
# The two typechecks run side by side (2 cores); the nodenext one also emits dist/ for the runs.
bundler_log="$work/logs/bundler.log"
bundler_start=$(now_ms)
node_modules/.bin/tsc -p tsconfig.bundler.json >"$bundler_log" 2>&1 &
bundler_pid=$!
check "tsc, module/moduleResolution nodenext (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck)" \
  node_modules/.bin/tsc -p tsconfig.nodenext.json
bundler_status=0
wait "$bundler_pid" || bundler_status=$?
report "tsc, module esnext + moduleResolution bundler (as strict)" "$bundler_log" "$bundler_status" \
  "$bundler_start"

if [ -f dist/main.js ] && [ -f dist/examples-check.js ]; then
  check "run the program: US (SSN) and EU (ID card, selfie) residents verified, Rejected rejected; the console and /metrics show them" \
    node dist/main.js
  check "run the examples: embed.ts (400, 413, 202, SIGTERM → 0) and outcomes.ts" node dist/examples-check.js
  # As each example's Run line says: its .ts with tsx, in a project of npm init's default (CommonJS)
  # type. The workspace's tsx stands in for npx's download; the packages come from the consumer's.
  mkdir -p "$work/cjs-project" &&
    echo '{ "name": "a-users-service", "version": "1.0.0" }' >"$work/cjs-project/package.json" &&
    ln -s "$consumer/node_modules" "$work/cjs-project/node_modules" &&
    cp "$root"/packages/engine/examples/*.ts "$work/cjs-project/"
  check "run the examples with tsx from a CommonJS project, as their Run line says" \
    env EXAMPLES_TSX="$root/node_modules/.bin/tsx" EXAMPLES_DIR="$work/cjs-project" node dist/examples-check.js
else
  check "run the program and the examples (tsc emitted nothing to run)" false
fi
check "the packed CLI starts: kyc-handoff --help" node_modules/.bin/kyc-handoff --help

took=$(seconds $(($(now_ms) - started)))
if [ "${#failed[@]}" -eq 0 ]; then
  echo "consumer test: all $checks checks ok ($took)"
else
  list=$(printf '%s; ' "${failed[@]}")
  echo "consumer test: FAILED ${#failed[@]} of $checks checks ($took): ${list%; }"
  exit 1
fi

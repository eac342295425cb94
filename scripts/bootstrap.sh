# Sourced by the set-up scripts: makes pnpm and the workspace dependencies available on a machine
# that has only Node 20 and npm.
PNPM_VERSION=12.4.2
export TURBO_TELEMETRY_DISABLED=1

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ ! -x .tools/node_modules/.bin/pnpm ]; then
    echo "› installing pnpm $PNPM_VERSION into .tools/" >&2
    npm install --prefix .tools --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi

# better-sqlite3 compiles from source here; point node-gyp at the running Node's own headers so it
# does not try to download them.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix=$(node -p 'require("node:path").dirname(require("node:path").dirname(process.execPath))')
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
fi

echo "› pnpm install" >&2
pnpm install --frozen-lockfile --reporter=append-only >&2

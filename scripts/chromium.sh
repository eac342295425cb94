# Sourced by check.sh: Debian's Chromium for the console's browser tests (playwright-core drives it;
# a Playwright browser download is not possible here). Those tests skip, saying why, without it.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "› installing Debian's chromium for the browser tests" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >&2 ||
      echo "› chromium could not be installed: the browser tests will be skipped" >&2
  else
    echo "› no chromium and no root apt-get to install it: the browser tests will be skipped" >&2
  fi
fi

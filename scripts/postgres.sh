# Sourced by check.sh: makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the store tests.
export KYC_HANDOFF_TEST_PG="${KYC_HANDOFF_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "› starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "› no PostgreSQL on 127.0.0.1:5432: the PostgreSQL tests will be skipped" >&2
fi

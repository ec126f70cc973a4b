#!/usr/bin/env bash
# The import contracts, then the whole suite on SQLite, then again on PostgreSQL. Under CI=true a PostgreSQL that does not answer is a
# failure, not a skip: CI must prove both databases.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest "$@")
PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/pledgecard}"

# The layers (.importlinter, pictured in docs/architecture.md): a broken contract fails the run.
echo "=== Import contracts (lint-imports) ==="
.venv/bin/lint-imports
layers_status=$?

echo "=== Tests on SQLite ==="
env -u DATABASE_URL "${PYTEST[@]}"
sqlite_status=$?

echo "=== Tests on PostgreSQL ($PG_URL) ==="
if .venv/bin/python - "$PG_URL" <<'PY'
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres", connect_timeout=5).close()
PY
then
  DATABASE_URL="$PG_URL" "${PYTEST[@]}"
  pg_status=$?
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL did not answer at $PG_URL, and CI must test on it." >&2
  pg_status=1
else
  echo "PostgreSQL did not answer at $PG_URL: skipped here (CI would fail)." >&2
  pg_status=0
fi

if [ $layers_status -ne 0 ] || [ $sqlite_status -ne 0 ] || [ $pg_status -ne 0 ]; then
  echo "FAILED: import contracts=$layers_status sqlite=$sqlite_status postgresql=$pg_status" >&2
  exit 1
fi
echo "Import contracts kept; both databases passed."

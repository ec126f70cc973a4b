#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into the database DATABASE_URL names.
#
#   DATABASE_URL=postgres://pledgecard@127.0.0.1:5432/pledgecard deploy/restore.sh FILE.dump [--replace]
#
# Stop the web server and the worker first (systemctl stop pledgecard-web pledgecard-worker).
# The database is created if it does not exist. If it exists and holds tables, the restore refuses unless
# --replace is given, which drops it and creates it again (its current contents are lost).
# All or nothing: the restore runs in one transaction and stops at the first error.
# Afterwards run `pledgecard migrate` (a backup from an older release gets this release's migrations), then
# start the services. Messages sent after the backup was made are owed again in the restored outbox and go
# out again with the same Message-ID (docs/deploy.md).
set -euo pipefail

: "${DATABASE_URL:?Set DATABASE_URL to the database to restore into, e.g. postgres://user@host:5432/pledgecard}"
dump="${1:?Usage: restore.sh FILE.dump [--replace]}"
replace="${2:-}"
[ -z "$replace" ] || [ "$replace" = "--replace" ] || { echo "Unknown option '$replace'." >&2; exit 2; }
[ -r "$dump" ] || { echo "Cannot read $dump." >&2; exit 2; }
pg_restore --list "$dump" >/dev/null || { echo "$dump is not a backup pg_restore can read." >&2; exit 2; }

# postgres://user:pass@host:port/NAME?options -> NAME, and the same address for the `postgres` database,
# from which NAME is dropped and created.
address="${DATABASE_URL%%\?*}"
options="${DATABASE_URL#"$address"}"
name="${address##*/}"
admin_url="${address%/*}/postgres$options"
case "$name" in
  ""|*[!A-Za-z0-9_-]*) echo "Cannot read a database name from DATABASE_URL ('$name')." >&2; exit 2 ;;
esac

exists=$(psql "$admin_url" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$name'")
if [ "$exists" = "1" ]; then
  tables=$(psql "$DATABASE_URL" -XtAc \
    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
  if [ "$tables" != "0" ]; then
    if [ "$replace" != "--replace" ]; then
      echo "Database '$name' exists and holds $tables tables. Add --replace to drop it and restore." >&2
      exit 1
    fi
    echo "Dropping database '$name'."
    psql "$admin_url" -Xq -v ON_ERROR_STOP=1 -c "DROP DATABASE \"$name\" WITH (FORCE)"
    exists=""
  fi
fi
if [ "$exists" != "1" ]; then
  psql "$admin_url" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$name\" ENCODING 'UTF8' TEMPLATE template0"
fi

pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$DATABASE_URL" "$dump"
echo "Restored $dump into '$name'. Now run: pledgecard migrate, then start the web server and the worker."

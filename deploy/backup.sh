#!/usr/bin/env bash
# Back up Pledgecard's PostgreSQL database: one compressed pg_dump file, checked readable before it counts.
#
#   DATABASE_URL=postgres://pledgecard@127.0.0.1:5432/pledgecard deploy/backup.sh [DIRECTORY]
#
# DIRECTORY (default /var/backups/pledgecard) gets pledgecard-YYYYMMDDTHHMMSSZ.dump; its path is printed last.
# Dumps older than PLEDGECARD_BACKUP_KEEP_DAYS (default 30; 0 keeps all) are then removed from DIRECTORY.
# The dump is consistent (one snapshot) while the site and the worker run; no need to stop them.
# Uploaded files (PLEDGECARD_MEDIA_ROOT) are not in the database: back that directory up too (docs/deploy.md).
set -euo pipefail

: "${DATABASE_URL:?Set DATABASE_URL to the database to back up, e.g. postgres://user@host:5432/pledgecard}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh backs up PostgreSQL; DATABASE_URL is not a postgres:// address." >&2; exit 2 ;;
esac
dir="${1:-/var/backups/pledgecard}"
keep_days="${PLEDGECARD_BACKUP_KEEP_DAYS:-30}"
mkdir -p "$dir"
umask 077  # the dump holds people's names, addresses and words: readable by this user only
file="$dir/pledgecard-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

# Custom format: compressed, and pg_restore can restore it whole or in part. No owners or grants, so it
# restores into a database owned by whichever role restore.sh connects as.
pg_dump --format=custom --no-owner --no-privileges --file="$partial" --dbname="$DATABASE_URL"
# A dump that pg_restore cannot read is not a backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$file"

if [ "$keep_days" -gt 0 ]; then
  find "$dir" -maxdepth 1 -name 'pledgecard-*.dump' -mtime +"$keep_days" -print -delete | sed 's/^/Removed old backup: /'
fi
echo "$file"

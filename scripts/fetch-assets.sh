#!/usr/bin/env bash
# Fetch the compiled NHS.UK frontend (CSS, JS, icons) from the npm registry into ./assets.
# Nothing runs Node at request time: these are plain static files served by whitenoise.
set -euo pipefail
version="${NHSUK_FRONTEND_VERSION:-10.6.1}"
dest="${1:-assets}"
stamp="$dest/.nhsuk-frontend-$version"
[ -f "$stamp" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$version" >/dev/null && tar xzf "nhsuk-frontend-$version.tgz")
dist="$work/package/dist/nhsuk"
rm -rf "$dest"
mkdir -p "$dest/static/nhsuk" "$dest/root/assets"
cp "$dist/nhsuk-frontend.min.css" "$dist/nhsuk-frontend.min.js" "$dest/static/nhsuk/"
# The CSS refers to /assets/images/... from the site root.
cp -r "$dist/assets/." "$dest/root/assets/"
touch "$stamp"
echo "NHS.UK frontend $version fetched into $dest"

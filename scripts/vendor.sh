#!/usr/bin/env bash
# Refresh the vendored browser libraries from the npm registry and print their checksums.
# Usage: scripts/vendor.sh            (versions below)
#        HTMX_VERSION=2.0.12 IDB_VERSION=8.0.5 scripts/vendor.sh
# Then update webapp/static/vendor/README.md and the file names used in the templates
# (and in webapp/pwa.py, which lists what the service worker precaches).
set -euo pipefail
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
IDB_VERSION="${IDB_VERSION:-8.0.4}"
dest="$(cd "$(dirname "$0")/.." && pwd)/webapp/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# fetch PACKAGE VERSION FILE_IN_PACKAGE TARGET_NAME
fetch() {
  local package="$1" version="$2" source="$3" target="$4"
  rm -rf package
  npm pack --silent "${package}@${version}" >/dev/null
  echo "${package}@${version} npm integrity: $(npm view "${package}@${version}" dist.integrity)"
  tar xzf "${package}-${version}.tgz"
  cp "package/${source}" "${dest}/${target}"
  (cd "$dest" && sha256sum "$target")
}

fetch htmx.org "$HTMX_VERSION" dist/htmx.min.js "htmx-${HTMX_VERSION}.min.js"
fetch idb "$IDB_VERSION" build/umd.js "idb-${IDB_VERSION}.umd.js"

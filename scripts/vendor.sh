#!/usr/bin/env bash
# Refresh the vendored browser libraries from the npm registry and print their checksums.
# Usage: scripts/vendor.sh            (versions below)
#        HTMX_VERSION=2.0.12 scripts/vendor.sh
# Then update webapp/static/vendor/README.md and the file names used in the templates.
set -euo pipefail
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
dest="$(cd "$(dirname "$0")/.." && pwd)/webapp/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null
echo "npm integrity: $(npm view "htmx.org@${HTMX_VERSION}" dist.integrity)"
tar xzf "htmx.org-${HTMX_VERSION}.tgz"
cp package/dist/htmx.min.js "${dest}/htmx-${HTMX_VERSION}.min.js"
cd "$dest"
sha256sum "htmx-${HTMX_VERSION}.min.js"

#!/usr/bin/env bash
# Installs what is missing and builds what changed; quick when nothing did. Used by `npm run dev` and `npm test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[ensure] npm ci" >&2
  npm ci --no-audit --no-fund
fi

# The pinned Temporal CLI and FerretDB (skipped when present, or when TEMPORAL_BIN/FERRETDB_BIN are set).
bash tools/scripts/install-servers.sh

# Debian's Chromium for the dashboard's browser tests, schemathesis for API fuzzing (each skipped when present).
bash tools/scripts/install-browser.sh
bash tools/scripts/install-schemathesis.sh

# TypeScript projects (incremental) and the prebuilt workflow bundle.
npx tsc -b tsconfig.build.json
node tools/scripts/bundle-workflows.js

# The dashboard the gateway serves at / (rebuilt when a source is newer than the build).
if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/index.html dashboard/vite.config.ts -newer dashboard/dist/index.html 2>/dev/null | head -n 1)" ]; then
  echo "[ensure] building the dashboard" >&2
  npx vite build --config dashboard/vite.config.ts --logLevel warn
fi

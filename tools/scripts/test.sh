#!/usr/bin/env bash
# `npm test`: install what is missing, build, type-check, lint, check formatting, then every project's tests against real
# servers (an ephemeral Temporal dev server and FerretDB, started by the test setup). Extra arguments go to Jest.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export NX_DAEMON=false NX_NO_CLOUD=true
bash tools/scripts/ensure.sh
echo "[test] type-check" >&2
npx tsc -p tsconfig.json --noEmit
echo "[test] lint" >&2
npx eslint . --max-warnings=0
echo "[test] formatting (prettier --check; npm run format fixes it)" >&2
npx prettier --check . --log-level warn
echo "[test] jest" >&2
exec node tools/scripts/run-jest.js "$@"

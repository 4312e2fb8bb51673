#!/usr/bin/env bash
# `npm run bench [-- options]`: builds what changed, then runs the benchmark (tools/src/bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/scripts/ensure.sh
exec node tools/dist/bench/main.js "$@"

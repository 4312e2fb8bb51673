#!/usr/bin/env bash
# `npm run dev`: install what is missing, build what changed, then start everything (tools/src/dev.ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bash "$root/tools/scripts/ensure.sh"
cd "$root"
exec node tools/dist/dev.js

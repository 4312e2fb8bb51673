#!/usr/bin/env bash
# `npm run check:random -- [--schedules N] [--from SEED] [--seed SEED] [--concurrency N]`: the randomized access
# checker (test/random) over more schedules than `npm test` runs. Prints the seed range, each failing schedule
# with its steps and violations, and one summary line. `--seed N` replays one schedule.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

schedules=1000
from=1
concurrency=14
while [ $# -gt 0 ]; do
  case "$1" in
    --schedules) schedules="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --seed) from="$2"; schedules=1; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    *) echo "check:random: unknown argument $1 (use --schedules N, --from SEED, --seed SEED, --concurrency N)" >&2; exit 2 ;;
  esac
done
for value in "$schedules" "$from" "$concurrency"; do
  [[ "$value" =~ ^[0-9]+$ ]] || { echo "check:random: \"$value\" is not a whole number" >&2; exit 2; }
done

# The pinned Temporal CLI and FerretDB the test setup starts (skipped when present).
bash tools/scripts/install-servers.sh
export NX_DAEMON=false NX_NO_CLOUD=true
RANDOM_FROM="$from" RANDOM_SCHEDULES="$schedules" RANDOM_CONCURRENCY="$concurrency" \
  exec npx jest test/random/random-access.spec.ts

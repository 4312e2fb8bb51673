#!/usr/bin/env bash
# Builds an EXPERIMENT binary, .tools/bin/ferretdb-idfix: FerretDB v1.24.2 with a one-line change that
# lets SQLite use the `_id` index. Never used by `npm run dev` or `npm test` (they run the pinned,
# unmodified FerretDB); it exists to measure how far the benchmark goes with that bottleneck moved:
#
#   bash tools/scripts/build-ferretdb-idfix.sh
#   FERRETDB_BIN=.tools/bin/ferretdb-idfix npm run bench
#
# Why (docs/performance.md, "FerretDB scans for `_id`"): FerretDB 1.24's SQLite backend creates the
# `_id` index as `_ferretdb_sjson->"_id"` but filters, updates and deletes by `_id` with
# `_ferretdb_sjson->'$._id' = ?`. SQLite matches index expressions by their text, so it never uses the
# index: every lookup by `_id` scans the table and parses every document's JSON. The change makes the
# lookup expression the index's (`->'_id'`, which selects the same value).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version=1.24.2
out="$root/.tools/bin/ferretdb-idfix"
mod=$(cd "${TMPDIR:-/tmp}" && GOFLAGS= go mod download -json "github.com/FerretDB/FerretDB@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$mod" ] || { echo "go mod download gave no module directory" >&2; exit 1; }
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp -r "$mod/." "$src" && chmod -R u+w "$src"
echo "v$version" >"$src/build/version/version.txt"
file="$src/internal/backends/sqlite/metadata/metadata.go"
grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$file" || { echo "unexpected $file: the patch no longer applies" >&2; exit 1; }
sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$file"
mkdir -p "$(dirname "$out")"
(cd "$src" && GOFLAGS=-buildvcs=false go build -o "$out" ./cmd/ferretdb)
echo "built $out (FerretDB v$version, _id lookups through the _id index)"

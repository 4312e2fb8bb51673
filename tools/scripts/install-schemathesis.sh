#!/usr/bin/env bash
# Installs schemathesis (PyPI, pinned) into .tools/schemathesis, for the API fuzzing test. Skipped when present.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.tools/schemathesis"
VERSION=4.32.5
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then exit 0; fi
echo "[schemathesis] installing schemathesis==$VERSION into .tools/schemathesis" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"

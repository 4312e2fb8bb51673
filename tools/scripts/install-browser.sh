#!/usr/bin/env bash
# Installs the browser the dashboard's browser tests drive (test/browser/dashboard.spec.ts): Debian's
# `chromium` package, through apt. playwright-core drives it by executablePath, so Playwright's own
# browser download (which needs the internet and a matching build) is never used.
# Skips everything when a `chromium` binary is already on PATH. Needs root (or sudo) for apt-get.
set -euo pipefail

log() { printf '[browser] %s\n' "$*" >&2; }

if command -v chromium >/dev/null 2>&1; then
  log "chromium already installed: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown')); nothing to do"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "chromium is missing and apt-get is not available: install Chromium with your package manager so that \`chromium\` is on PATH"
  exit 1
fi

run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
  else
    log "chromium is missing and installing it needs root: run this script as root, or install Debian's chromium package"
    exit 1
  fi
fi

log "chromium not found; installing Debian's chromium package (apt-get update && apt-get install -y chromium)"
"${run_as_root[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y --no-install-recommends chromium

if ! command -v chromium >/dev/null 2>&1; then
  log "apt-get finished but \`chromium\` is still not on PATH"
  exit 1
fi
log "installed $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"

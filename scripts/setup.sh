#!/usr/bin/env bash
# Installs whatever edge-relay needs that is missing; a no-op in seconds when nothing is.
# `--no-rust` skips the Rust tools (scripts/toolchain.sh), for `npm run sdk`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

[ "${1:-}" = --no-rust ] || bash scripts/toolchain.sh

# npm's own record of the tree it installed: newer than the lock file means up to date.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm dev dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

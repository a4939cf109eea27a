#!/usr/bin/env bash
# Installs whatever edge-relay needs that is missing; a no-op in seconds when nothing is.
# `--test` adds what only `npm test` needs (Debian's Chromium, the tests' venvs); `--no-rust`
# leaves out the Rust tools (scripts/toolchain.sh), for `npm run sdk`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mode="${1:-}"

# On a cold machine the Rust tools compile for minutes: the downloads below go on meanwhile.
if [ "$mode" != --no-rust ]; then
  bash scripts/toolchain.sh &
  rust_tools=$!
fi

# npm's own record of the tree it installed: newer than the lock file means up to date.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm dev dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$mode" = --test ]; then
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "[setup] installing Debian's chromium for the browser tests (once)" >&2
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  fi
  # Schemathesis for the contract test, and openapi-python-client for the clients' test.
  bash scripts/venv.sh tests/contract/.venv tests/contract/requirements.txt
  bash scripts/venv.sh clients/.venv clients/requirements.txt
fi

[ -z "${rust_tools:-}" ] || wait "$rust_tools"

#!/usr/bin/env bash
# Every test: host unit tests, then the built worker in workerd against a local upstream,
# including the browser tests in headless Debian Chromium.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "[test] installing Debian's chromium for the browser tests (once)" >&2
  sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi

cargo test --quiet
bash scripts/build.sh
node --test --test-concurrency=2 'tests/**/*.test.mjs'

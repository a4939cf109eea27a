#!/usr/bin/env bash
# Every test: host unit tests, then the built worker in workerd against a local upstream.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo test --quiet
bash scripts/build.sh
node --test --test-concurrency=2 'tests/**/*.test.mjs'

#!/usr/bin/env bash
# Every test: host unit tests, the JS glue's own tests, then the built worker in workerd against
# a local upstream, including the browser tests in headless Debian Chromium, then the
# benchmark's smoke run. Two workers are built: the one `wrangler deploy` ships (by wrangler
# itself, through wrangler.toml's build command) and the tests' one with the diagnostic routes.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

cargo test --quiet --workspace --features diagnostics
OUT=build-diagnostics bash scripts/build.sh --features diagnostics
# The starter app (examples/starter), which its own test serves as a user's app would be.
CRATE=examples/starter bash scripts/build.sh
# The production build into build/, and what would be uploaded into build-deploy/ (no account needed).
rm -rf build-deploy  # wrangler adds to the directory; the test reads the one upload
WRANGLER_LOG=warn wrangler deploy --dry-run --outdir build-deploy
node --test --test-concurrency=2 'scripts/*.test.mjs' 'crates/**/*.test.mjs' 'examples/**/*.test.mjs' 'tests/**/*.test.mjs'
# The benchmark's smoke mode: proves the harness (nginx, wrk, FastAPI venv, raw workerd) still
# runs end to end; it asserts that every server answered, not how fast.
bash bench/setup.sh
node bench/run.mjs --quick

#!/usr/bin/env bash
# Builds the release worker of the crate in the current directory into its build/ (index.js +
# wasm: scripts/build.mjs says how), first installing the Rust tools it needs when they are
# missing: wrangler.toml's build command, so plain `wrangler dev` and `wrangler deploy` work on a
# fresh clone after `npm ci`. `CRATE=examples/starter bash scripts/build.sh` builds another crate
# of the repository (the benchmark's bench/floor and bench/plain too); `OUT=build-diagnostics
# bash scripts/build.sh --features diagnostics` the tests' worker with its diagnostic routes
# (arguments go to cargo).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/toolchain.sh"

# Swagger UI's files for /docs (wrangler.toml's [assets] directory), so the docs need no CDN.
mkdir -p "$ROOT/public/docs-ui"
cp -u "$ROOT"/node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css} "$ROOT/docs-ui/init.js" "$ROOT/public/docs-ui/"

[ -z "${CRATE:-}" ] || cd "$ROOT/$CRATE"
node "$ROOT/scripts/build.mjs" "$@"

#!/usr/bin/env bash
# Builds the release worker into build/ (index.js + wasm) with local tools only, with
# panic=unwind: a panic unwinds to the request, message or task that raised it.
# `CRATE=bench/floor bash scripts/build.sh` builds the benchmark's floor worker the same way.
#
# Unwinding tables and landing pads grow the wasm; two nightly options win part of that back
# (README, "Build size"): std's `optimize_for_size` feature, and panic locations without file
# names (the message still says what panicked; the log line carries the request id).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT/${CRATE:-.}"
worker-build --release --panic-unwind -- . \
  -Zbuild-std-features=optimize_for_size \
  -Zprofile-rustflags --config 'profile.release.rustflags = ["-Zlocation-detail=none"]' \
  "$@"
# The entry (src/entry.mjs) over the glue, bundled and minified as worker-build bundles.
mv build/index.js build/glue.js
cp "$ROOT/src/entry.mjs" build/entry.mjs
esbuild build/entry.mjs --bundle --minify --format=esm --external:./index_bg.wasm \
  --external:'cloudflare:*' --outfile=build/index.js --log-level=error
rm build/glue.js build/entry.mjs

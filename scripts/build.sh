#!/usr/bin/env bash
# Builds the release worker into build/ (index.js + wasm) with local tools only, with
# panic=unwind: a panic unwinds to the request, message or task that raised it.
# `CRATE=bench/floor bash scripts/build.sh` builds the benchmark's floor worker the same way (and
# `CRATE=bench/plain` its plain Rust worker); `OUT=build-diagnostics bash scripts/build.sh
# --features diagnostics` the tests' worker with its diagnostic routes (arguments go to cargo).
#
# Unwinding tables and landing pads grow the wasm; three nightly options win part of that back
# (docs/build-size.md): std's `optimize_for_size` feature; panic locations without file names
# (the message still says what panicked; the log line carries the request id); and
# `panic-in-drop=abort`: destructors do not unwind, so no code is kept to clean up after one
# that panicked (a panic inside a destructor traps the instance instead, which the abort
# guard answers; none of ours can). That one must reach std too, so it goes in RUSTFLAGS
# (worker-build appends its own), and cargo's metadata probe then needs the nightly rustc.
# So does `-Zcross-crate-inline-threshold=yes`: every function may be inlined into another
# crate (the app into the library, both into std), as MIR inlining does within one crate; the
# app and library as two crates were 10 KB gzip larger without it (docs/build-size.md).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT/${CRATE:-.}"
OUT="${OUT:-build}"
export RUSTUP_TOOLCHAIN=nightly RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Zpanic-in-drop=abort -Zcross-crate-inline-threshold=yes"
worker-build --release --panic-unwind --out-dir "$OUT" -- . \
  -Zbuild-std-features=optimize_for_size \
  -Zprofile-rustflags --config 'profile.release.rustflags = ["-Zlocation-detail=none"]' \
  --no-default-features "$@"
# The library's entry (crates/edge-relay/src/entry.mjs) over the glue, bundled and minified
# as worker-build bundles.
mv "$OUT/index.js" "$OUT/glue.js"
cp "$ROOT/crates/edge-relay/src/entry.mjs" "$OUT/entry.mjs"
esbuild "$OUT/entry.mjs" --bundle --minify --format=esm --external:./index_bg.wasm \
  --external:'cloudflare:*' --outfile="$OUT/index.js" --log-level=error
rm "$OUT/glue.js" "$OUT/entry.mjs"

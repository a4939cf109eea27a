#!/usr/bin/env bash
# The Rust tools a wasm build needs, installed when missing: a no-op in a fraction of a second
# when nothing is. Run by scripts/setup.sh and by every build (scripts/build.sh), so that plain
# `wrangler dev` and `wrangler deploy` work on a fresh clone too.
set -euo pipefail
source "$(dirname "$0")/env.sh"

step() { printf '[setup] %s\n' "$*" >&2; }

# The wasm is built with panic=unwind (a panic costs only its own request), which needs the
# nightly toolchain with std's source (-Zbuild-std) and its wasm target (the README names the
# nightly verified).
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  step "installing the nightly Rust toolchain (once)"
  rustup toolchain install nightly --profile minimal
fi
if ! rustup component list --installed --toolchain nightly | grep -q '^rust-src'; then
  step "adding rust-src to nightly (once)"
  rustup component add rust-src --toolchain nightly
fi
if ! rustup target list --installed --toolchain nightly | grep -qx wasm32-unknown-unknown; then
  step "adding Rust target wasm32-unknown-unknown to nightly (once)"
  rustup target add wasm32-unknown-unknown --toolchain nightly
fi

# wasm-bindgen's CLI at exactly the library's version: only the `wasm-bindgen` binary, and
# without the default TLS feature (rustls and ring), which only the test runner's downloads use.
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "[setup] no wasm-bindgen version (see scripts/env.sh)" >&2; exit 1; }
if ! "$WASM_BINDGEN" --version 2>/dev/null | grep -qw "$WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" \
    --no-default-features --bin wasm-bindgen --force
fi

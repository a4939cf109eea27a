#!/usr/bin/env bash
# Installs whatever edge-relay needs that is missing; a no-op in seconds when nothing is.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

step() { printf '[setup] %s\n' "$*" >&2; }

# The wasm is built with panic=unwind (a panic costs only its own request), which needs the
# nightly toolchain with std's source (-Zbuild-std) and its wasm target; worker-build runs
# `cargo +nightly`, so it is whichever nightly rustup has (the README names the one verified).
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

# `cargo install` of an exact version; skipped when that version is already on PATH.
install_crate() { # crate binary version
  [ -n "$3" ] || { echo "[setup] no version for $1 (see scripts/env.sh)" >&2; exit 1; }
  if ! "$HOME/.cargo/bin/$2" --version 2>/dev/null | grep -qw "$3"; then
    step "installing $1 $3 (a few minutes, once)"
    cargo install --quiet "$1" --version "=$3" --force
  fi
}
install_crate worker-build worker-build "$WORKER_BUILD_VERSION"
install_crate wasm-bindgen-cli wasm-bindgen "$WASM_BINDGEN_VERSION"

# npm's own record of the tree it installed: newer than the lock file means up to date.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Static assets for /docs: Swagger UI from npm plus our initialiser, so the docs need no CDN.
mkdir -p public/docs-ui
cp -u node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css docs-ui/init.js public/docs-ui/

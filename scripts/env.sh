# Shared by the scripts: tool versions and the environment worker-build needs.
# Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
# Offline machines: use a placeholder `request.cf` instead of fetching the real one.
export CLOUDFLARE_CF_FETCH_ENABLED=false
WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen-cli must match the wasm-bindgen the library is pinned to.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$ROOT/crates/edge-relay/Cargo.toml")"
# Point worker-build at local tools so it never downloads anything.
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"

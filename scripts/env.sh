# Shared by the scripts: where the tools are, the version of wasm-bindgen's CLI. Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$ROOT/node_modules/.bin:$CARGO_BIN:$PATH"
export WRANGLER_SEND_METRICS=false
# Offline machines: use a placeholder `request.cf` instead of fetching the real one.
export CLOUDFLARE_CF_FETCH_ENABLED=false
# wasm-bindgen-cli must match the wasm-bindgen the library is pinned to.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$ROOT/crates/edge-relay/Cargo.toml")"
export WASM_BINDGEN="$CARGO_BIN/wasm-bindgen"

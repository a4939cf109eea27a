#!/usr/bin/env bash
# Builds the release worker into build/ (index.js + wasm) with local tools only.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
worker-build --release "$@"

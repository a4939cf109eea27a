#!/usr/bin/env bash
# Installs what the benchmark needs that is missing: nginx with the echo module (the shared
# upstream), wrk (the load generator) and a venv with the FastAPI baseline. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || missing+=(libnginx-mod-http-echo)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[bench] installing ${missing[*]} from Debian (once)" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The floor and the plain Rust worker, with edge-relay's build settings (cargo makes a warm
# rebuild a no-op; a failed quiet build runs again loudly, to show why).
for crate in floor plain; do
  echo "[bench] building bench/$crate" >&2
  CRATE=bench/$crate bash ../scripts/build.sh >/dev/null 2>&1 || CRATE=bench/$crate bash ../scripts/build.sh
done

# The FastAPI baseline's venv, made anew when requirements.txt changes.
bash ../scripts/venv.sh .venv requirements.txt

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

# The venv is rebuilt when requirements.txt changes.
if [ ! -f .venv/installed ] || [ requirements.txt -nt .venv/installed ]; then
  echo "[bench] creating the FastAPI venv (once)" >&2
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  touch .venv/installed
fi

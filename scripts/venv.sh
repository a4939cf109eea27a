#!/usr/bin/env bash
# `bash scripts/venv.sh DIR REQUIREMENTS`: a Python venv in DIR with REQUIREMENTS installed,
# made anew when the requirements change and left alone otherwise.
set -euo pipefail
dir="$1" requirements="$2"
if [ ! -f "$dir/installed" ] || [ "$requirements" -nt "$dir/installed" ]; then
  echo "[setup] installing $requirements into $dir (once)" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  touch "$dir/installed"
fi

#!/usr/bin/env bash
# Installs the project's Python toolchain from nothing: uv (pinned, in a cached venv),
# then every workspace package and dev tool from uv.lock into .venv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/agora"
uv_version="0.13.8"
tools="$cache/tools-uv-$uv_version"

python="$(command -v python3.11 || command -v python3 || true)"
if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "agora: Python 3.11+ is required (apt-get install python3.11 python3.11-venv)" >&2
  exit 1
fi
# The interpreter itself, not a launcher in front of it (a pyenv shim): uv compares the
# requested path with the one .venv was made from, and a shim never matches, so every
# sync replaced the whole .venv, breaking any process importing from it meanwhile (a
# test run whose benchmark smoke or system test starts a platform, which syncs first).
python="$("$python" -c 'import sys; print(sys.executable)')"
if [ ! -x "$tools/bin/uv" ]; then
  echo "[bootstrap] installing uv $uv_version into $tools"
  "$python" -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version"
fi
export UV_CACHE_DIR="${UV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uv}"
export UV_PYTHON_DOWNLOADS=never
echo "[bootstrap] syncing the workspace from uv.lock"
cd "$root"
"$tools/bin/uv" sync --frozen --python "$python" --quiet
echo "[bootstrap] ready: $root/.venv"

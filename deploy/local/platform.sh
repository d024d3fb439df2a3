#!/usr/bin/env bash
# The platform on one machine without Docker: Kafka + PostgreSQL (kafka.sh, postgres.sh),
# then every service under services/ as its own process, logs in $AGORA_LOCAL_DIR/logs/.
# The work is done by the Python supervisor `python -m agora_platform` (libs/agora-platform):
# progress display, health waits, endpoint table, clean stop. This wrapper only makes sure
# the Python toolchain exists first (a clean clone has no .venv yet).
# Usage: deploy/local/platform.sh up|down|status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="$root/.venv/bin/python"

case "${1:-}" in
  up | down | status) ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac

if ! { [ -x "$python" ] && "$python" -c 'import agora_platform' 2>/dev/null; }; then
  if [ "$1" != up ]; then
    echo "[platform] nothing installed yet (no $root/.venv): nothing to $1" >&2
    exit 0
  fi
  echo "[platform] first run: installing the Python toolchain (tools/bootstrap.sh)"
  bash "$root/tools/bootstrap.sh"
fi
exec "$python" -m agora_platform "$@" --root "$root"

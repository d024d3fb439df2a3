#!/usr/bin/env bash
# Local infrastructure without Docker: Apache Kafka (KRaft), PostgreSQL and FerretDB
# (SQLite; until the last service has moved to PostgreSQL).
# Usage: deploy/local/infra.sh up|down|status
# Each script reads its own AGORA_* variables (state dir AGORA_LOCAL_DIR, ports); the
# test environment (make test, make infra-up) sets them through tools/test-env.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
components=(kafka postgres ferretdb)

case "${1:-}" in
  up)
    for c in "${components[@]}"; do
      "$here/$c.sh" start
    done
    ;;
  down)
    # Stop every one even if one fails, and report the failure.
    rc=0
    for c in "${components[@]}"; do
      "$here/$c.sh" stop || rc=$?
    done
    exit "$rc"
    ;;
  status)
    rc=0
    for c in "${components[@]}"; do
      "$here/$c.sh" status || rc=1
    done
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac

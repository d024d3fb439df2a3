#!/usr/bin/env bash
# Local infrastructure without Docker: Apache Kafka (KRaft) and FerretDB (SQLite).
# Usage: deploy/local/infra.sh up|down|status
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
  up)
    "$here/kafka.sh" start
    "$here/ferretdb.sh" start
    ;;
  down)
    # Stop both even if one fails, and report the first failure.
    rc=0
    "$here/kafka.sh" stop || rc=$?
    "$here/ferretdb.sh" stop || rc=$?
    exit "$rc"
    ;;
  status)
    rc=0
    "$here/kafka.sh" status || rc=1
    "$here/ferretdb.sh" status || rc=1
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac

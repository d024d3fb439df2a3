#!/usr/bin/env bash
# Local infrastructure without Docker: Apache Kafka (KRaft) and PostgreSQL.
# Usage: deploy/local/infra.sh up|down|status
#
# Each script reads its own AGORA_* variables (state dir AGORA_LOCAL_DIR, ports); the
# test environment (make test, make infra-up) sets them through tools/test-env.sh.
#
# `up` also provisions the event registry's topics (python -m agora_core.topics apply)
# once Kafka answers: the broker never auto-creates topics. That needs the Python
# toolchain (tools/bootstrap.sh, which tools/test.sh runs first); without .venv it says
# so and skips the step.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
components=(kafka postgres)

provision_topics() {
  local python="$root/.venv/bin/python"
  if [[ ! -x "$python" ]]; then
    echo "topics: no $root/.venv yet: run tools/bootstrap.sh, then" \
      "'.venv/bin/python -m agora_core.topics apply' (services stay not ready until then)" >&2
    return 0
  fi
  # The local client port is PLAINTEXT; AGORA_KAFKA_SASL_* here name the user of the
  # broker's test listener, not a login of this client.
  env -u AGORA_KAFKA_SASL_USERNAME -u AGORA_KAFKA_SASL_PASSWORD -u AGORA_KAFKA_SASL_MECHANISM \
    AGORA_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${AGORA_KAFKA_PORT:-19092}" \
    AGORA_KAFKA_SECURITY_PROTOCOL=PLAINTEXT \
    "$python" -m agora_core.topics apply
}

case "${1:-}" in
  up)
    for c in "${components[@]}"; do
      "$here/$c.sh" start
      if [[ "$c" == kafka ]]; then
        provision_topics
      fi
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

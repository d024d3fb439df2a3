#!/usr/bin/env bash
# The whole check, from a clean clone: install, start Kafka and PostgreSQL,
# lint, type-check, run every test, stop the infrastructure (also on failure).
# The infrastructure is the test environment (tools/test-env.sh): state in .agora-test/,
# ports 29092/29093/29094 and 25432, never the developer's platform (make up).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$SECONDS

tools/bootstrap.sh
# shellcheck source=tools/test-env.sh
. tools/test-env.sh
echo "[test] test environment: state in $AGORA_LOCAL_DIR, Kafka $AGORA_TEST_KAFKA (SASL $AGORA_TEST_KAFKA_SASL), PostgreSQL 127.0.0.1:$AGORA_POSTGRES_PORT"
trap 'deploy/local/infra.sh down >/dev/null 2>&1 || true' EXIT
# The broker also opens its SASL_PLAINTEXT listener (AGORA_KAFKA_SASL_PORT, set by
# test-env.sh): the services' Kafka login is tested.
deploy/local/infra.sh up

echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy --strict"
.venv/bin/mypy
echo "[test] pytest"
.venv/bin/pytest "$@"
echo "[test] all checks passed in $((SECONDS - start)) s"

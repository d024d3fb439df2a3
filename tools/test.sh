#!/usr/bin/env bash
# The whole check, from a clean clone: install, start Kafka and FerretDB, lint,
# type-check, run every test, stop the infrastructure (also on failure).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$SECONDS

tools/bootstrap.sh
trap 'deploy/local/infra.sh down >/dev/null 2>&1 || true' EXIT
# The broker also opens a SASL_PLAINTEXT listener: the services' Kafka login is tested.
# Given to this command only: brokers the tests start themselves use their own ports.
AGORA_KAFKA_SASL_PORT="${AGORA_KAFKA_SASL_PORT:-19094}" deploy/local/infra.sh up

echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy --strict"
.venv/bin/mypy
echo "[test] pytest"
.venv/bin/pytest "$@"
echo "[test] all checks passed in $((SECONDS - start)) s"

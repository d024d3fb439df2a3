#!/usr/bin/env bash
# Runs every benchmark under bench/ against freshly started local infrastructure,
# then stops it. Reports land in bench/reports/. The infrastructure is the test
# environment (tools/test-env.sh, .agora-test/), never the developer's platform.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools/bootstrap.sh
# shellcheck source=tools/test-env.sh
. tools/test-env.sh
trap 'deploy/local/infra.sh down >/dev/null 2>&1 || true' EXIT
deploy/local/infra.sh up
for bench in bench/*.py; do
  # The package marker and the report module are not benchmarks; the end-to-end one
  # starts a platform of its own (`make bench-platform`).
  case "$bench" in bench/__init__.py | bench/platform_*.py) continue ;; esac
  echo "[bench] $bench"
  .venv/bin/python "$bench" "$@"
done

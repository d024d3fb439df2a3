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
# `tools/bench.sh --only core_messaging [ARGS]` runs one benchmark (make bench-core).
only=""
if [ "${1:-}" = "--only" ]; then
  only="$2"
  shift 2
fi
for bench in bench/*.py; do
  # The package marker and the report modules are not benchmarks; the end-to-end one
  # starts a platform of its own (`make bench-platform`).
  case "$bench" in bench/__init__.py | bench/platform_*.py | bench/*_report.py) continue ;; esac
  name="$(basename "$bench" .py)"
  if [ -n "$only" ] && [ "$name" != "$only" ]; then continue; fi
  echo "[bench] $bench"
  # As a module: benchmarks import each other's helpers from the bench package.
  .venv/bin/python -m "bench.$name" "$@"
done

#!/usr/bin/env bash
# The platform on one machine without Docker: Kafka + FerretDB (infra.sh), then every
# service package that exists under services/, each a separate process with its log
# in .agora-local/logs/, started in dev mode with a generated HS256 secret.
# Usage: deploy/local/platform.sh up|down|status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${AGORA_LOCAL_DIR:-$root/.agora-local}"
logs="$state/logs"
python="$root/.venv/bin/python"

# service name -> "grpc_port http_port"
declare -A ports=(
  [catalog]="50051 9101"
  [community]="50052 9102"
  [gamification]="50053 9103"
  [notifications]="50054 9104"
)

services() {
  for name in catalog community gamification notifications; do
    [ -f "$root/services/$name/pyproject.toml" ] && echo "$name"
  done
  return 0
}

dev_secret() {
  mkdir -p "$state"
  [ -s "$state/dev-jwt-secret" ] || (umask 077 && "$python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$state/dev-jwt-secret")
  cat "$state/dev-jwt-secret"
}

start_service() {
  local name="$1" grpc http prefix pidfile
  read -r grpc http <<<"${ports[$name]}"
  prefix="AGORA_${name^^}_"
  pidfile="$state/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "[platform] $name already running (pid $(cat "$pidfile"))"
    return 0
  fi
  mkdir -p "$logs"
  env "${prefix}DEV_MODE=true" "${prefix}JWT_HS256_SECRET=$(dev_secret)" \
      "${prefix}GRPC_PORT=$grpc" "${prefix}HTTP_PORT=$http" \
      "${prefix}KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${AGORA_KAFKA_PORT:-19092}" \
      "${prefix}MONGO_URI=mongodb://127.0.0.1:${AGORA_FERRETDB_PORT:-27018}/" \
      nohup "$python" -m "agora_$name" >>"$logs/$name.log" 2>&1 &
  echo $! >"$pidfile"
  echo "[platform] $name starting (pid $!, gRPC 127.0.0.1:$grpc, http 127.0.0.1:$http)"
}

wait_serving() {
  local name="$1" grpc http
  read -r grpc http <<<"${ports[$name]}"
  if ! "$python" -m agora_core.grpc.probe "127.0.0.1:$grpc" --wait 60; then
    echo "[platform] $name did not become SERVING; last log lines:" >&2
    tail -n 40 "$logs/$name.log" >&2 || true
    return 1
  fi
  echo "[platform] $name SERVING  gRPC 127.0.0.1:$grpc  metrics http://127.0.0.1:$http/metrics"
}

stop_service() {
  local name="$1" pidfile="$state/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
  echo "[platform] $name stopped"
}

case "${1:-}" in
  up)
    "$root/deploy/local/infra.sh" up
    mapfile -t names < <(services)
    for name in "${names[@]}"; do start_service "$name"; done
    for name in "${names[@]}"; do wait_serving "$name"; done
    echo "[platform] up: Kafka 127.0.0.1:${AGORA_KAFKA_PORT:-19092}, FerretDB mongodb://127.0.0.1:${AGORA_FERRETDB_PORT:-27018}/, ${#names[@]} service(s); logs in $logs"
    ;;
  down)
    mapfile -t names < <(services)
    for name in "${names[@]}"; do stop_service "$name"; done
    "$root/deploy/local/infra.sh" down
    ;;
  status)
    "$root/deploy/local/infra.sh" status || true
    for name in $(services); do
      if [ -f "$state/$name.pid" ] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then
        echo "$name: running (pid $(cat "$state/$name.pid"))"
      else
        echo "$name: not running"
      fi
    done
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Local PostgreSQL for Agora: the machine's own PostgreSQL (>= 15) server binaries,
# a cluster in the project's state directory, loopback only, password authentication,
# one database and one login role per service (no role can read another's database).
#
# Usage: deploy/local/postgres.sh fetch|start|stop|status
#
# Environment:
#   AGORA_POSTGRES_PORT           TCP port on 127.0.0.1 (default 15432)
#   AGORA_POSTGRES_PASSWORD       password of the superuser `postgres` (default
#                                 agora-local-postgres: loopback development only); set
#                                 at initdb, and again on every start
#   AGORA_POSTGRES_START_TIMEOUT  seconds to wait for `SELECT 1` to answer (default 60)
#   AGORA_POSTGRES_BIN_DIR        server binaries (default: the newest
#                                 /usr/lib/postgresql/<major>/bin with major >= 15)
#   AGORA_LOCAL_DIR               state root (default <repo>/.agora-local); state in ./postgres
#
# Each service gets database agora_<service>, owned by login role agora_<service> with
# password agora-local-<service> (development only), CONNECT revoked from PUBLIC, and
# the extensions unaccent and pg_trgm. As root the server runs as the `postgres` system
# user (initdb and postgres refuse root).
set -euo pipefail

readonly MIN_MAJOR=15
readonly SERVICES=(catalog community gamification notifications)
readonly EXTENSIONS=(unaccent pg_trgm)

PORT="${AGORA_POSTGRES_PORT:-15432}"
PASSWORD="${AGORA_POSTGRES_PASSWORD:-agora-local-postgres}"
START_TIMEOUT="${AGORA_POSTGRES_START_TIMEOUT:-60}"
STOP_TIMEOUT=60

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_ROOT="${AGORA_LOCAL_DIR:-$REPO_ROOT/.agora-local}"
STATE_DIR="$STATE_ROOT/postgres"
PID_FILE="$STATE_DIR/postgres.pid"
# As root, the server runs as the `postgres` user, who must be able to reach its files.
# A state dir under a directory only root may enter (pytest's /tmp/pytest-of-root,
# mktemp -d) cannot hold them: the server's files then live in a directory of their own
# under FALLBACK_ROOT, linked from $STATE_DIR/server, and are removed by a later start
# once their state dir is gone.
FALLBACK_ROOT="/var/tmp/agora-postgres"
set_server_dir() {
  SERVER_DIR="$1"
  DATA_DIR="$SERVER_DIR/data"
  SOCKET_DIR="$SERVER_DIR/run"
  LOG_FILE="$SERVER_DIR/postgres.log"
  CONF_FILE="$SERVER_DIR/agora.conf"
  HBA_FILE="$SERVER_DIR/pg_hba.conf"
}
if [[ -L "$STATE_DIR/server" ]]; then
  set_server_dir "$(readlink "$STATE_DIR/server")"
else
  set_server_dir "$STATE_DIR"
fi

T0="${EPOCHREALTIME:-$(date +%s)}"
say() { printf 'postgres [%6s] %s\n' "$(since "$T0")" "$*"; }
die() {
  echo "postgres: ERROR: $*" >&2
  exit 1
}
since() { awk -v a="$1" -v b="${EPOCHREALTIME:-$(date +%s)}" 'BEGIN { printf "%.1fs", b - a }'; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a server-side command as the user owning the cluster (`postgres` when we are
# root), from / so that an unreadable working directory cannot get in the way.
as_owner() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# ---------------------------------------------------------------------------- fetch

BIN_DIR=""

# The newest /usr/lib/postgresql/<major>/bin holding a server of major >= MIN_MAJOR.
find_bin_dir() {
  if [[ -n "${AGORA_POSTGRES_BIN_DIR:-}" ]]; then
    [[ -x "$AGORA_POSTGRES_BIN_DIR/postgres" ]] ||
      die "AGORA_POSTGRES_BIN_DIR=$AGORA_POSTGRES_BIN_DIR holds no postgres binary"
    BIN_DIR="$AGORA_POSTGRES_BIN_DIR"
    return 0
  fi
  local dir major best="" best_major=0
  for dir in /usr/lib/postgresql/*/bin; do
    major="$(basename "$(dirname "$dir")")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    [[ -x "$dir/postgres" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
    if ((major >= MIN_MAJOR && major > best_major)); then
      best="$dir"
      best_major="$major"
    fi
  done
  [[ -n "$best" ]] || return 1
  BIN_DIR="$best"
}

PSQL=""
find_psql() {
  if [[ -x "$BIN_DIR/psql" ]]; then
    PSQL="$BIN_DIR/psql"
  elif command -v psql >/dev/null 2>&1; then
    PSQL="$(command -v psql)"
  else
    die "psql not found beside $BIN_DIR/postgres nor on PATH (apt-get install postgresql-client)"
  fi
}

cmd_fetch() {
  if find_bin_dir; then
    find_psql
    say "server binaries present: $BIN_DIR ($("$BIN_DIR/postgres" --version))"
    return 0
  fi
  if ! is_root; then
    die "no PostgreSQL >= $MIN_MAJOR server binaries in /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql (or set AGORA_POSTGRES_BIN_DIR)"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "no PostgreSQL >= $MIN_MAJOR server binaries and no apt-get: install PostgreSQL >= $MIN_MAJOR and set AGORA_POSTGRES_BIN_DIR to its bin directory"
  local t
  t="${EPOCHREALTIME:-$(date +%s)}"
  # Debian's package also creates and starts a system cluster on 5432; we never use it.
  if ! apt-cache show postgresql >/dev/null 2>&1; then
    say "apt-get update (no package index for postgresql yet)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
      die "apt-get update failed"
  fi
  say "apt-get install -y postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null ||
    die "apt-get install -y postgresql failed"
  find_bin_dir || die "apt-get installed postgresql but no server of major >= $MIN_MAJOR is in /usr/lib/postgresql/*/bin"
  find_psql
  say "installed $BIN_DIR ($("$BIN_DIR/postgres" --version), $(since "$t"))"
}

# ---------------------------------------------------------------------------- state

# The postmaster's pid, if postmaster.pid names a live postgres of our data directory
# (a recycled pid must not be taken for ours); also refreshes our own pid file.
our_pid() {
  local pid="" cmdline
  if [[ -r "$DATA_DIR/postmaster.pid" ]]; then
    pid="$(head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null || true)"
  elif is_root && [[ -d "$DATA_DIR" ]]; then
    pid="$(runuser -u postgres -- head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null || true)"
  fi
  if [[ ! "$pid" =~ ^[0-9]+$ ]] && [[ -f "$PID_FILE" ]]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  fi
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    if [[ "$cmdline" == *postgres*" -D $DATA_DIR "* ]]; then
      echo "$pid" >"$PID_FILE"
      echo "$pid"
      return 0
    fi
  fi
  rm -f "$PID_FILE"
  return 1
}

# The port the running postmaster listens on (line 4 of postmaster.pid).
running_port() {
  if is_root; then
    runuser -u postgres -- sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true
  else
    sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true
  fi
}

# shellcheck disable=SC2016  # $1 is for the inner shell
port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# psql as the superuser over TCP (never the socket: pg_hba allows loopback TCP only).
psql_admin() {
  local db="$1"
  shift
  PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=3 PGOPTIONS="-c client_min_messages=warning" "$PSQL" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PORT" -U postgres -d "$db" "$@"
}

answers() { [[ "$(psql_admin postgres -Atc 'SELECT 1' 2>/dev/null)" == 1 ]]; }

show_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    echo "----- last 40 lines of $LOG_FILE -----" >&2
    tail -n 40 "$LOG_FILE" >&2
    echo "-----" >&2
  fi
}

# ---------------------------------------------------------------------------- start

# Server directories of state dirs that no longer exist, and that no server runs from.
collect_fallbacks() {
  local dir owner pid
  for dir in "$FALLBACK_ROOT"/*/; do
    dir="${dir%/}"
    [[ -f "$dir/state-dir" ]] || continue
    owner="$(cat "$dir/state-dir")"
    [[ -e "$owner" ]] && continue
    pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
    rm -rf "$dir"
  done
}

prepare_dirs() {
  mkdir -p "$STATE_DIR"
  if is_root; then
    id postgres >/dev/null 2>&1 ||
      die "no 'postgres' system user to run the server as (Debian's postgresql package creates it)"
    if [[ -d "$FALLBACK_ROOT" ]]; then collect_fallbacks; fi
    if [[ "$SERVER_DIR" == "$STATE_DIR" ]] && ! runuser -u postgres -- test -x "$STATE_ROOT"; then
      local fallback
      fallback="$FALLBACK_ROOT/$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-16)"
      mkdir -p "$fallback"
      chmod 711 "$FALLBACK_ROOT"
      echo "$STATE_DIR" >"$fallback/state-dir"
      ln -sfn "$fallback" "$STATE_DIR/server"
      set_server_dir "$fallback"
      say "the postgres user cannot enter $STATE_ROOT: server files in $SERVER_DIR (linked from $STATE_DIR/server)"
    fi
  fi
  mkdir -p "$SERVER_DIR" "$SOCKET_DIR"
  touch "$LOG_FILE"
  if is_root; then
    chown postgres:postgres "$SERVER_DIR" "$SOCKET_DIR" "$LOG_FILE"
    runuser -u postgres -- test -x "$SERVER_DIR" ||
      die "the postgres system user cannot reach $SERVER_DIR (a parent directory is not searchable by it)"
  fi
  chmod 700 "$SERVER_DIR" "$SOCKET_DIR"
}

initdb_once() {
  if [[ -f "$DATA_DIR/PG_VERSION" ]] || { is_root && runuser -u postgres -- test -f "$DATA_DIR/PG_VERSION"; }; then
    return 0
  fi
  local t pwfile="$SERVER_DIR/.initdb-password"
  t="${EPOCHREALTIME:-$(date +%s)}"
  say "initdb $DATA_DIR (first start; superuser postgres, scram-sha-256)"
  rm -rf "$DATA_DIR"
  mkdir -m 700 "$DATA_DIR"
  (umask 077 && printf '%s\n' "$PASSWORD" >"$pwfile")
  if is_root; then chown postgres:postgres "$DATA_DIR" "$pwfile"; fi
  local out
  if ! out="$(as_owner "$BIN_DIR/initdb" -D "$DATA_DIR" -U postgres --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 2>&1)"; then
    rm -f "$pwfile"
    echo "$out" >&2
    rm -rf "$DATA_DIR"
    die "initdb failed"
  fi
  rm -f "$pwfile"
  say "  initdb done ($(since "$t"))"
}

write_configs() {
  local sockets="$SOCKET_DIR"
  # A Unix socket path is limited to 107 bytes; nobody may use the socket anyway
  # (pg_hba.conf below has no `local` line), so a too deep state dir just goes without.
  if ((${#SOCKET_DIR} + 20 > 107)); then sockets=""; fi
  # Regenerated on every start, so edits here take effect; the data stays in $DATA_DIR.
  cat >"$CONF_FILE" <<EOF
# Generated by deploy/local/postgres.sh; edits are overwritten on the next start.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$sockets'
unix_socket_permissions = 0700
hba_file = '$HBA_FILE'
password_encryption = 'scram-sha-256'

# A small machine shared with Kafka and the services.
shared_buffers = 128MB
max_connections = 200
work_mem = 4MB
maintenance_work_mem = 64MB
effective_cache_size = 512MB
max_wal_size = 1GB

# Durable like production: a commit is on disk when it returns.
fsync = on
synchronous_commit = on
full_page_writes = on

timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
  cat >"$HBA_FILE" <<EOF
# Generated by deploy/local/postgres.sh. Password (SCRAM) over loopback TCP only:
# no trust, no peer, no Unix socket, nothing beyond 127.0.0.1.
# TYPE  DATABASE  USER  ADDRESS        METHOD
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  chmod 600 "$CONF_FILE" "$HBA_FILE"
  if is_root; then chown postgres:postgres "$CONF_FILE" "$HBA_FILE"; fi
  # postgresql.conf (initdb's) pulls in our file last, so our settings win.
  local line="include '$CONF_FILE'"
  if ! as_owner grep -qxF "$line" "$DATA_DIR/postgresql.conf"; then
    as_owner sh -c 'printf "\n# deploy/local/postgres.sh\n%s\n" "$1" >>"$2"' _ "$line" "$DATA_DIR/postgresql.conf"
  fi
}

wait_ready() {
  local t="$1" deadline=$((SECONDS + START_TIMEOUT)) pid tries=0
  until answers; do
    if ! pid="$(our_pid)"; then
      show_log_tail
      die "postgres exited during startup (log: $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail
      die "postgres (pid $pid) did not answer SELECT 1 on 127.0.0.1:$PORT within ${START_TIMEOUT}s; it is left running, use '$0 stop'"
    fi
    ((tries % 10 == 9)) && say "  waiting for SELECT 1 on 127.0.0.1:$PORT ... ($(since "$t"))"
    sleep 0.2
    tries=$((tries + 1))
  done
}

# One database and one login role per service; idempotent (runs on every start).
provision() {
  local t svc role db ext sql
  t="${EPOCHREALTIME:-$(date +%s)}"
  # The superuser's password follows AGORA_POSTGRES_PASSWORD (we just logged in with it).
  sql="ALTER ROLE postgres PASSWORD :'pw';"$'\n'
  # Nothing of the server's own databases is any service's business.
  sql+="REVOKE ALL ON DATABASE postgres FROM PUBLIC;"$'\n'
  sql+="REVOKE ALL ON DATABASE template1 FROM PUBLIC;"$'\n'
  for svc in "${SERVICES[@]}"; do
    role="agora_$svc"
    db="agora_$svc"
    sql+="SELECT format('CREATE ROLE %I LOGIN', '$role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \\gexec"$'\n'
    sql+="ALTER ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD 'agora-local-$svc';"$'\n'
    sql+="SELECT format('CREATE DATABASE %I OWNER %I', '$db', '$role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \\gexec"$'\n'
    sql+="ALTER DATABASE $db OWNER TO $role;"$'\n'
    sql+="REVOKE ALL ON DATABASE $db FROM PUBLIC;"$'\n'
    sql+="GRANT CONNECT, TEMPORARY ON DATABASE $db TO $role;"$'\n'
  done
  # A grant to another service's role (by hand, or a test interrupted) does not survive.
  local other
  for svc in "${SERVICES[@]}"; do
    for other in "${SERVICES[@]}"; do
      if [[ "$other" != "$svc" ]]; then
        sql+="REVOKE ALL ON DATABASE agora_$svc FROM agora_$other;"$'\n'
      fi
    done
  done
  psql_admin postgres -v pw="$PASSWORD" <<<"$sql" >/dev/null ||
    die "provisioning roles and databases failed"
  for svc in "${SERVICES[@]}"; do
    role="agora_$svc"
    db="agora_$svc"
    sql="ALTER SCHEMA public OWNER TO $role;"$'\n'
    sql+="REVOKE ALL ON SCHEMA public FROM PUBLIC;"$'\n'
    sql+="GRANT USAGE, CREATE ON SCHEMA public TO $role;"$'\n'
    for ext in "${EXTENSIONS[@]}"; do
      sql+="CREATE EXTENSION IF NOT EXISTS $ext;"$'\n'
    done
    psql_admin "$db" <<<"$sql" >/dev/null || die "provisioning database $db failed"
  done
  say "provisioned ${#SERVICES[@]} databases and roles (agora_<service>, each only its own; extensions ${EXTENSIONS[*]}) ($(since "$t"))"
}

cmd_start() {
  local pid="" t port
  find_bin_dir || cmd_fetch
  find_psql
  mkdir -p "$STATE_DIR"
  # Concurrent starts of one state dir queue here; the later ones find it running.
  exec 8>"$STATE_DIR/.start.lock"
  flock -w "$((START_TIMEOUT + 30))" 8 || die "another '$0 start' holds $STATE_DIR/.start.lock"

  if pid="$(our_pid)"; then
    port="$(running_port)"
    if [[ -n "$port" && "$port" != "$PORT" ]]; then
      die "postgres (pid $pid) of $STATE_DIR runs on port $port, not $PORT; run '$0 stop' (same AGORA_LOCAL_DIR) first"
    fi
    t="${EPOCHREALTIME:-$(date +%s)}"
    wait_ready "$t"
    provision
    say "postgres already running (pid $pid, postgresql://127.0.0.1:$PORT)"
    return 0
  fi
  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already in use by another process (not ours: no live postgres of $DATA_DIR); stop it or set AGORA_POSTGRES_PORT"
  fi

  prepare_dirs
  initdb_once
  write_configs

  t="${EPOCHREALTIME:-$(date +%s)}"
  say "starting PostgreSQL $("$BIN_DIR/postgres" --version | sed 's/.*) \([0-9.]*\).*/\1/') on 127.0.0.1:$PORT (data $DATA_DIR, log $LOG_FILE)"
  echo "=== $(date -u +%FT%TZ) start on 127.0.0.1:$PORT" >>"$LOG_FILE"
  # -W: do not wait here; wait_ready below waits for a real query, not just the pid file.
  # The server must not inherit the start lock (fd 8) nor our stdout.
  local out
  if ! out="$(as_owner "$BIN_DIR/pg_ctl" start -W -D "$DATA_DIR" -l "$LOG_FILE" -s </dev/null 2>&1 8>&-)"; then
    echo "$out" >&2
    show_log_tail
    die "pg_ctl start failed"
  fi
  # pg_ctl returns once the postmaster is forked; its pid file may follow a moment later.
  local i
  for ((i = 0; i < 50; i++)); do
    our_pid >/dev/null && break
    sleep 0.1
  done
  wait_ready "$t"
  pid="$(our_pid)" || die "postgres answered but its pid is unknown"
  say "postgres ready (pid $pid, SELECT 1 answered after $(since "$t"))"
  provision
  say "postgres running (pid $pid, postgresql://127.0.0.1:$PORT, log $LOG_FILE)"
}

cmd_stop() {
  local pid t i
  if ! pid="$(our_pid)"; then
    say "postgres not running"
    return 0
  fi
  find_bin_dir || true
  t="${EPOCHREALTIME:-$(date +%s)}"
  say "stopping postgres (pid $pid, fast shutdown)"
  # SIGINT is PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit.
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "  still alive after ${STOP_TIMEOUT}s; immediate shutdown (SIGQUIT)"
    kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "postgres stopped ($(since "$t"))"
}

cmd_status() {
  local pid port
  if ! pid="$(our_pid)"; then
    say "postgres not running"
    return 1
  fi
  port="$(running_port)"
  if [[ -n "$port" && "$port" != "$PORT" ]]; then
    say "postgres (pid $pid) of $STATE_DIR runs, but on port $port, not $PORT"
    return 1
  fi
  find_bin_dir || die "no PostgreSQL >= $MIN_MAJOR binaries to query the running server with"
  find_psql
  if answers; then
    say "postgres running (pid $pid, postgresql://127.0.0.1:$PORT)"
    return 0
  fi
  say "postgres process $pid alive but not answering SELECT 1 on 127.0.0.1:$PORT"
  return 1
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 fetch|start|stop|status" >&2
    exit 2
    ;;
esac

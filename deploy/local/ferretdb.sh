#!/usr/bin/env bash
# Local MongoDB-compatible server for Agora: FerretDB 1.x with its SQLite backend,
# built from its Go module with the machine's Go toolchain (no Docker, no mongod).
#
# Usage: deploy/local/ferretdb.sh fetch|start|stop|status
#
# Environment:
#   AGORA_FERRETDB_VERSION     FerretDB module version (default below)
#   AGORA_FERRETDB_PORT        MongoDB wire-protocol port on 127.0.0.1 (default 27018)
#   AGORA_FERRETDB_DEBUG_PORT  FerretDB debug/metrics HTTP port on 127.0.0.1 (default 28088; "-" disables it)
#   AGORA_LOCAL_DIR            state root (default <repo>/.agora-local); we use its ferretdb/ subdir
#   XDG_CACHE_HOME             binary cache root (default ~/.cache)
set -euo pipefail

# Newest 1.x the Go module proxy serves (v1.24.1/v1.24.3+ and v2 are not available there;
# 2.x needs PostgreSQL+DocumentDB anyway, only 1.x has the SQLite backend).
DEFAULT_FERRETDB_VERSION="v1.24.2"
# FerretDB v1.24.2's go.mod says "go 1.24"; checked again against the downloaded go.mod.
MIN_GO="1.24"

VERSION="${AGORA_FERRETDB_VERSION:-$DEFAULT_FERRETDB_VERSION}"
[[ "$VERSION" == v* ]] || VERSION="v$VERSION"
MODULE="github.com/FerretDB/FerretDB"
PORT="${AGORA_FERRETDB_PORT:-27018}"
DEBUG_PORT="${AGORA_FERRETDB_DEBUG_PORT:-28088}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# Bump AGORA_PATCH_LEVEL whenever ferretdb_write_lock.go changes, so caches rebuild.
AGORA_PATCH_LEVEL="agora3"
BIN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/agora/ferretdb/$VERSION-$AGORA_PATCH_LEVEL"
BIN="$BIN_DIR/ferretdb"
STATE_DIR="${AGORA_LOCAL_DIR:-$REPO_ROOT/.agora-local}/ferretdb"
DATA_DIR="$STATE_DIR/data"
LOG_FILE="$STATE_DIR/ferretdb.log"
PID_FILE="$STATE_DIR/ferretdb.pid"

START_TIMEOUT=30
STOP_TIMEOUT=20

say() { echo "[ferretdb] $*"; }
die() { echo "[ferretdb] ERROR: $*" >&2; exit 1; }

# Elapsed seconds with one decimal since $1 (an EPOCHREALTIME value).
now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------- go toolchain

GO_BIN=""
find_go() {
  if command -v go >/dev/null 2>&1; then
    GO_BIN="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO_BIN=/usr/local/go/bin/go
  else
    die "go not found: install Go >= $MIN_GO (https://go.dev/dl or /usr/local/go/bin/go) to build FerretDB"
  fi
}

# version_ge A B: true if dotted version A >= B.
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

require_go() {
  local need="$1" have
  # GOTOOLCHAIN=local: never let go try to download a newer toolchain (only the proxy is reachable).
  have="$(GOTOOLCHAIN=local "$GO_BIN" env GOVERSION 2>/dev/null || true)"
  have="${have#go}"
  have="${have%%[!0-9.]*}"  # strip suffixes such as "rc1" or " X:..."
  if [[ -z "$have" ]] || ! version_ge "$have" "$need"; then
    die "go ${have:-unknown} at $GO_BIN is too old: install Go >= $need to build FerretDB $VERSION"
  fi
}

# ---------------------------------------------------------------- fetch (build)

binary_ok() { [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; }

cmd_fetch() {
  if binary_ok; then
    say "binary present: $BIN ($("$BIN" --version | head -n1))"
    return 0
  fi
  find_go
  require_go "$MIN_GO"
  export GOTOOLCHAIN=local
  # SQLite backend is modernc.org/sqlite (pure Go) and is compiled in by default
  # (only excluded by the ferretdb_no_sqlite tag), so no tags and no C compiler needed.
  export CGO_ENABLED=0

  local t0 t dir build
  t0="$(now)"
  # Not `go install $MODULE/cmd/ferretdb@$VERSION`: go refuses it here (it loads the
  # module's version list for deprecation, which the proxy answers 403), and even when it
  # works the binary panics at start because build/version/version.txt is not in the
  # module zip. So: download the module, copy it, add version.txt, go build.
  t="$(now)"
  say "downloading module $MODULE@$VERSION"
  local json
  # go reports a failed download inside the JSON ("Error") and exits non-zero: keep the JSON.
  # (run from / so that no go.mod/go.work around the caller is involved)
  json="$(cd / || exit 0; "$GO_BIN" mod download -json "$MODULE@$VERSION" 2>&1 || true)"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    echo "$json" >&2
    die "go mod download $MODULE@$VERSION failed (unknown version, or the Go module proxy is unreachable)"
  fi
  say "  module at $dir ($(since "$t"))"

  local need
  need="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$dir/go.mod" | head -n1)"
  [[ -n "$need" ]] && require_go "$need"

  build="$(mktemp -d "${TMPDIR:-/tmp}/agora-ferretdb-build.XXXXXX")"
  # shellcheck disable=SC2064  # expand $build now
  trap "rm -rf '$build'" EXIT
  cp -R "$dir/." "$build/"
  chmod -R u+w "$build"  # module cache files are read-only
  echo "$VERSION" >"$build/build/version/version.txt"
  echo "agora-local" >"$build/build/version/package.txt"
  # Make single-document writes atomic (see ferretdb_write_lock.go for why).
  cp "$SCRIPT_DIR/ferretdb_write_lock.go" "$build/internal/handler/agora_write_lock.go"
  grep -q '^	h.initCommands()$' "$build/internal/handler/handler.go" \
    || die "cannot find h.initCommands() in FerretDB $VERSION to install the write lock"
  sed -i 's/^	h.initCommands()$/	h.initCommands()\n	h.agoraSerialiseWrites()/' \
    "$build/internal/handler/handler.go"
  # Updates and deletes by _id filter on `sjson->'$._id'` while the _id index is built
  # on `sjson->"_id"`; SQLite only uses an expression index for the same expression,
  # so every single-document write scanned (and JSON-parsed) the whole collection.
  # Use the indexed expression.
  meta="$build/internal/backends/sqlite/metadata/metadata.go"
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$meta" \
    || die "cannot find IDColumn in FerretDB $VERSION to point it at the _id index"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->\\\\\"_id\\\\\"\"|" "$meta"
  # A query reaches the _id index only when its filter is exactly {_id: v}; with any other
  # key ({_id, tenant_id}, {_id, state}: every tenant-scoped read and conditional write)
  # FerretDB scanned and JSON-parsed the whole collection. The handler filters every
  # fetched document in Go with the full filter anyway, so pushing the _id equality down
  # whenever the filter has one is safe.
  coll="$build/internal/backends/sqlite/collection.go"
  [[ "$(grep -c '^	if params.Filter.Len() == 1 {$' "$coll")" == 2 ]] \
    || die "cannot find the _id pushdown condition in FerretDB $VERSION"
  sed -i 's/^	if params.Filter.Len() == 1 {$/	if params.Filter.Len() >= 1 {/' "$coll"

  t="$(now)"
  say "building cmd/ferretdb (first build downloads deps and compiles for ~2 min; later builds reuse the Go caches)"
  mkdir -p "$BIN_DIR"
  # -trimpath keeps cache keys independent of the temp dir, so rebuilds hit the build cache;
  # -buildvcs=false because the copy is not a git checkout (and TMPDIR might sit inside one).
  # Build next to the target and rename: atomic, and two concurrent fetches cannot clash.
  (cd "$build" && "$GO_BIN" build -trimpath -buildvcs=false -o "$BIN_DIR/ferretdb.tmp.$$" ./cmd/ferretdb)
  mv -f "$BIN_DIR/ferretdb.tmp.$$" "$BIN"
  say "  built ($(since "$t"))"

  binary_ok || die "built binary does not run: $BIN --version"
  say "ready: $BIN ($("$BIN" --version | head -n1), total $(since "$t0"))"
}

# ---------------------------------------------------------------- process helpers

# A real MongoDB round trip in pure bash: OP_MSG {ping: 1, $db: "admin"} over /dev/tcp,
# success if the reply contains the BSON element ok: 1.0 (double).
wire_ping() {
  local reply
  # shellcheck disable=SC2016  # $1 and $db are for the inner shell / literal
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # header: length 51, requestID 1, responseTo 0, opCode 2013 (OP_MSG); flags 0; section kind 0;
    # body: {ping: int32 1, $db: "admin"} (30 bytes)
    printf "\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00" >&3
    printf "\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02\$db\x00\x06\x00\x00\x00admin\x00\x00" >&3
    dd bs=4096 count=1 <&3 2>/dev/null | od -An -v -tx1 | tr -d " \n"
  ' _ "$PORT" 2>/dev/null)" || return 1
  # 01 "ok\0" 1.0 little-endian double
  [[ "$reply" == *016f6b00000000000000f03f* ]]
}

# shellcheck disable=SC2016  # $1 is for the inner shell
port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$PORT" 2>/dev/null; }

# Prints our pid if the pid file names a live ferretdb process; cleans a stale pid file.
our_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  # check the command line too: a recycled pid must not be taken for (or killed as) ours;
  # several FerretDBs with other state dirs may run on one machine.
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && [[ "$(ps -p "$pid" -o args= 2>/dev/null)" == *ferretdb*"--state-dir=$STATE_DIR "* ]]; then
    echo "$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  return 1
}

# True if our process $1 listens where this invocation expects (AGORA_FERRETDB_PORT may differ).
pid_on_port() { [[ "$(ps -p "$1" -o args= 2>/dev/null)" == *"--listen-addr=127.0.0.1:$PORT "* ]]; }

show_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    echo "----- last 40 lines of $LOG_FILE -----" >&2
    tail -n 40 "$LOG_FILE" >&2
    echo "-----" >&2
  fi
}

# ---------------------------------------------------------------- start / stop / status

cmd_start() {
  local pid t0
  if pid="$(our_pid)" && ! pid_on_port "$pid"; then
    die "ferretdb (pid $pid) of $STATE_DIR runs on another port than $PORT; run '$0 stop' (same AGORA_LOCAL_DIR) first"
  fi
  if [[ -n "${pid:-}" ]] && wire_ping; then
    say "ferretdb already running (pid $pid, mongodb://127.0.0.1:$PORT)"
    return 0
  fi
  if [[ -z "${pid:-}" ]] && port_open; then
    die "127.0.0.1:$PORT is already in use by another process (not ours: no live pid in $PID_FILE); stop it or set AGORA_FERRETDB_PORT"
  fi

  cmd_fetch

  if [[ -z "${pid:-}" ]]; then
    mkdir -p "$DATA_DIR"
    local debug_addr="-"
    [[ "$DEBUG_PORT" != "-" ]] && debug_addr="127.0.0.1:$DEBUG_PORT"
    local args=(
      --handler=sqlite
      # must be an existing directory ending with "/". synchronous(NORMAL) with WAL keeps
      # every commit safe from a process crash (not from power loss) and avoids an fsync
      # per single-document write, which made each one cost ~20 ms on this disk.
      "--sqlite-url=file:$DATA_DIR/?_pragma=synchronous(NORMAL)"
      "--state-dir=$STATE_DIR"         # state.json (instance uuid, telemetry choice)
      "--listen-addr=127.0.0.1:$PORT"
      "--debug-addr=$debug_addr"       # default 127.0.0.1:8088 would collide between checkouts
      --telemetry=disable
      --log-level=INFO
      --log-format=console
    )
    t0="$(now)"
    say "starting $BIN on 127.0.0.1:$PORT (state $STATE_DIR, log $LOG_FILE)"
    echo "=== $(date -u +%FT%TZ) start: $BIN ${args[*]}" >>"$LOG_FILE"
    # DO_NOT_TRACK as a second guard against telemetry; nohup + </dev/null so it outlives this shell.
    DO_NOT_TRACK=1 nohup "$BIN" "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"
  else
    t0="$(now)"
    say "ferretdb process $pid exists but does not answer yet; waiting"
  fi

  # Poll every 0.2 s (it usually answers within ~0.3 s), progress line every 2 s.
  local tries=0
  until wire_ping; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      show_log_tail
      die "ferretdb exited during startup"
    fi
    if ((tries >= START_TIMEOUT * 5)); then
      show_log_tail
      die "ferretdb (pid $pid) did not answer ping on 127.0.0.1:$PORT within ${START_TIMEOUT}s; it is left running, use '$0 stop'"
    fi
    ((tries % 10 == 9)) && say "  waiting for ping ... ($(since "$t0"))"
    sleep 0.2
    tries=$((tries + 1))
  done
  say "ferretdb running (pid $pid, mongodb://127.0.0.1:$PORT, ping ok after $(since "$t0"))"
}

cmd_stop() {
  local pid t0
  if ! pid="$(our_pid)"; then
    say "ferretdb not running"
    return 0
  fi
  t0="$(now)"
  say "stopping ferretdb (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "  still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$PID_FILE"
  say "ferretdb stopped ($(since "$t0"))"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if ! pid_on_port "$pid"; then
      say "ferretdb (pid $pid) of $STATE_DIR runs, but not on port $PORT: $(ps -p "$pid" -o args=)"
      return 1
    fi
    if wire_ping; then
      say "ferretdb running (pid $pid, mongodb://127.0.0.1:$PORT)"
      return 0
    fi
    say "ferretdb process $pid alive but not answering ping on 127.0.0.1:$PORT"
    return 1
  fi
  say "ferretdb not running"
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

#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for dev and tests.
#
# No Docker and no Apache download mirrors here, so the broker is assembled from its
# jars on Maven Central (resolved by Maven) and run with the machine's Java 17+.
#
# Usage: deploy/local/kafka.sh fetch|start|stop|status
#
# Environment:
#   AGORA_KAFKA_VERSION          Kafka release (default below)
#   AGORA_KAFKA_PORT             client listener on 127.0.0.1 (default 19092)
#   AGORA_KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1 (default 19093)
#   AGORA_KAFKA_SASL_PORT        if set: a second client listener, SASL_PLAINTEXT with the
#                                PLAIN mechanism, on 127.0.0.1 (the tests of the services'
#                                Kafka authentication use it)
#   AGORA_KAFKA_SASL_USERNAME / AGORA_KAFKA_SASL_PASSWORD
#                                the one user of that listener (default agora-local /
#                                agora-local-sasl-password: loopback development only)
#   AGORA_KAFKA_HEAP_OPTS        JVM heap flags (default "-Xms256m -Xmx512m")
#   AGORA_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 240: a
#                                loaded 2-core machine needs more than a minute)
#   AGORA_LOCAL_DIR              state root (default <repo>/.agora-local); state in ./kafka
#   XDG_CACHE_HOME               jar cache root (default ~/.cache); jars in agora/kafka/<version>/libs
set -euo pipefail

# Newest 4.x on Maven Central when this was written (org.apache.kafka:kafka_2.13).
readonly DEFAULT_KAFKA_VERSION="4.4.0"
# Kafka's jars log through slf4j 1.x but ship no binding (the tarball adds one), so we add
# log4j2's slf4j-1.x binding; pinning api/core to the same version keeps the three in step.
# 2.25.5 is the log4j Kafka 4.4.0 itself depends on.
readonly LOG4J_VERSION="2.25.5"
readonly DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

KAFKA_VERSION="${AGORA_KAFKA_VERSION:-$DEFAULT_KAFKA_VERSION}"
KAFKA_PORT="${AGORA_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${AGORA_KAFKA_CONTROLLER_PORT:-19093}"
SASL_USERNAME="${AGORA_KAFKA_SASL_USERNAME:-agora-local}"
SASL_PASSWORD="${AGORA_KAFKA_SASL_PASSWORD:-agora-local-sasl-password}"
HEAP_OPTS="${AGORA_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${AGORA_KAFKA_START_TIMEOUT:-240}"
STOP_TIMEOUT=30

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/agora/kafka/$KAFKA_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
LIBS_MARKER="$CACHE_DIR/libs.complete"
# What the marker records; a cache made with other pins is fetched again.
MARKER_TEXT="kafka_2.13=$KAFKA_VERSION log4j=$LOG4J_VERSION"
STATE_DIR="${AGORA_LOCAL_DIR:-$REPO_ROOT/.agora-local}/kafka"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
PID_FILE="$STATE_DIR/kafka.pid"
PROPS_FILE="$STATE_DIR/server.properties"
LOG4J_FILE="$STATE_DIR/log4j2.properties"
CLUSTER_ID_FILE="$STATE_DIR/cluster.id"
SASL_PORT_FILE="$STATE_DIR/sasl.port"
# A restart keeps the listeners of the last start (a test that stops and starts the
# broker must not drop its SASL listener); AGORA_KAFKA_SASL_PORT="" switches it off.
if [[ -n "${AGORA_KAFKA_SASL_PORT+set}" ]]; then
  SASL_PORT="$AGORA_KAFKA_SASL_PORT"
elif [[ -f "$SASL_PORT_FILE" ]]; then
  SASL_PORT="$(cat "$SASL_PORT_FILE")"
else
  SASL_PORT=""
fi
SERVER_LOG="$LOG_DIR/server.log"
CONSOLE_LOG="$LOG_DIR/console.log"

# Honour JAVA_HOME like Kafka's own scripts do.
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
BROKER_MAIN="kafka.Kafka"
STORAGE_MAIN="kafka.tools.StorageTool"

T0="$(date +%s%N)"
TMP_DIR=""
# Size of server.log before this start, so failures show only this run's lines.
LOG_OFFSET=0

die() {
  echo "agora: $*" >&2
  exit 1
}

# One progress line per step, stamped with seconds since the command began.
step() {
  local now
  now="$(date +%s%N)"
  printf 'kafka [%5.1fs] %s\n' "$(((now - T0) / 1000000))e-3" "$*"
}

cleanup() {
  if [[ -n "$TMP_DIR" ]]; then rm -rf "$TMP_DIR"; fi
}
trap cleanup EXIT

require_java() {
  local msg="Java 17+ is required to run Kafka (apt-get install openjdk-17-jre-headless)"
  command -v "$JAVA" >/dev/null 2>&1 || die "$msg"
  local line ver major
  line="$("$JAVA" -version 2>&1 | head -n 1)" || die "$msg"
  # e.g. openjdk version "17.0.15" 2025-04-15, or "1.8.0_392" for Java 8.
  ver="$(sed -n 's/.*version "\([^"]*\)".*/\1/p' <<<"$line")"
  major="${ver%%.*}"
  if [[ "$major" == "1" ]]; then
    major="$(cut -d. -f2 <<<"$ver")"
  fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "$msg (found: ${line:-none})"
  fi
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    die "Maven is required to fetch Kafka's jars (apt-get install maven)"
}

# ---------------------------------------------------------------------------- fetch

write_pom() {
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway pom: only used to resolve Kafka's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.agora</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
}

libs_complete() {
  [[ -f "$LIBS_MARKER" && "$(cat "$LIBS_MARKER")" == "$MARKER_TEXT" ]]
}

cmd_fetch() {
  if libs_complete; then
    step "kafka $KAFKA_VERSION jars already cached in $LIBS_DIR"
    return 0
  fi
  require_mvn
  mkdir -p "$CACHE_DIR"
  # Two fetches at once (e.g. parallel test jobs) must not write the same cache.
  exec 9>"$CACHE_DIR/.lock"
  flock 9
  if libs_complete; then
    exec 9>&-
    step "kafka $KAFKA_VERSION jars already cached in $LIBS_DIR (fetched by a concurrent run)"
    return 0
  fi

  TMP_DIR="$(mktemp -d)"
  write_pom "$TMP_DIR/pom.xml"
  local out="$CACHE_DIR/libs.partial" mvn_log="$TMP_DIR/mvn.log"
  rm -rf "$out"
  step "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies with Maven"
  # Maven runs in the background so we can print a heartbeat; its full log is shown on failure.
  mvn -B -f "$TMP_DIR/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$out" >"$mvn_log" 2>&1 9>&- &
  local mvn_pid=$! rc=0 last="$SECONDS"
  while kill -0 "$mvn_pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - last >= 5)); then
      last="$SECONDS"
      step "  ... maven: $(grep -c 'Downloaded from' "$mvn_log" || true) files downloaded so far"
    fi
  done
  wait "$mvn_pid" || rc=$?
  if ((rc != 0)); then
    tail -n 40 "$mvn_log" >&2
    die "maven could not resolve Kafka $KAFKA_VERSION (exit $rc); full log above"
  fi
  [[ -f "$out/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
  rm -rf "$LIBS_DIR" "$LIBS_MARKER"
  mv "$out" "$LIBS_DIR"
  # The marker is written last: a cache without it is incomplete and is fetched again.
  echo "$MARKER_TEXT" >"$LIBS_MARKER"
  exec 9>&-
  step "maven downloaded $(grep -c 'Downloaded from' "$mvn_log" || true) new files into its local repo;" \
    "cached $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $LIBS_DIR"
}

# ---------------------------------------------------------------------------- state

read_pid() {
  if [[ -f "$PID_FILE" ]]; then
    cat "$PID_FILE" 2>/dev/null || true
  fi
}

# True if the pid is alive and is our broker (a recycled pid must not count).
broker_alive() {
  local pid="$1" cmdline
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  else
    cmdline="$(ps -o args= -p "$pid" 2>/dev/null)" || return 1
  fi
  [[ "$cmdline " == *" $BROKER_MAIN "* ]]
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Kafka-level check without client tools: send an ApiVersions v0 request
# (api_key 18, correlation id 1, client id "agora") and expect a response
# carrying correlation id 1. The broker only answers once it has started up.
kafka_answers() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT" || exit 1
    printf '\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05agora' >&3
    reply="$(timeout 3 head -c 8 <&3 | od -An -tx1 | tr -d ' \n')"
    [[ "${reply:8:8}" == "00000001" ]]
  ) 2>/dev/null
}

write_configs() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  local protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [[ -n "$SASL_PORT" ]]; then
    listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT"
    protocols="$protocols,SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  # Regenerated on every start so edits here take effect; data stays in $DATA_DIR.
  cat >"$PROPS_FILE" <<EOF
# Generated by deploy/local/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=$listeners,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=$listeners
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
log.dirs=$DATA_DIR

# One broker: every internal topic must live with replication factor 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: the first consumer group / transaction comes up faster.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1

# Clients never create topics: "python -m agora_core.topics apply" provisions them
# from the event registry (infra.sh up and make up run it), as in production.
auto.create.topics.enable=false

# Dev/test conveniences.
num.partitions=3
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  if [[ -z "$SASL_PORT" ]]; then
    rm -f "$SASL_PORT_FILE"
  else
    echo "$SASL_PORT" >"$SASL_PORT_FILE"
    # The file holds a development password for a loopback listener; keep it private.
    chmod 600 "$PROPS_FILE"
    cat >>"$PROPS_FILE" <<EOF

# SASL_PLAINTEXT listener (AGORA_KAFKA_SASL_PORT): one PLAIN user, no authorizer.
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USERNAME}="${SASL_PASSWORD}";
EOF
  fi
  # All logging to a file in the state dir, none to the console.
  cat >"$LOG4J_FILE" <<EOF
# Generated by deploy/local/kafka.sh.
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $SERVER_LOG
appender.file.filePattern = $SERVER_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
EOF
}

new_cluster_id() {
  # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding. One starting with
  # '-' would read as a command-line flag, so draw again (Kafka does the same).
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    if [[ "$id" != -* ]]; then
      echo "$id"
      return
    fi
  done
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    new_cluster_id >"$CLUSTER_ID_FILE"
  fi
  local cid out
  cid="$(cat "$CLUSTER_ID_FILE")"
  step "formatting KRaft storage (cluster id $cid)"
  if ! out="$("$JAVA" -Xmx256m -Dlog4j2.configurationFile="$LOG4J_FILE" -cp "$LIBS_DIR/*" \
    "$STORAGE_MAIN" format -t "$cid" -c "$PROPS_FILE" 2>&1)"; then
    echo "$out" >&2
    die "formatting Kafka storage failed"
  fi
}

show_log_tail() {
  echo "---- last 40 lines of $SERVER_LOG ----" >&2
  if [[ -f "$SERVER_LOG" ]]; then
    tail -c +"$((LOG_OFFSET + 1))" "$SERVER_LOG" | tail -n 40 >&2
  fi
  if [[ -s "$CONSOLE_LOG" ]]; then
    echo "---- last 40 lines of $CONSOLE_LOG ----" >&2
    tail -n 40 "$CONSOLE_LOG" >&2
  fi
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT)) dots=0
  printf 'kafka waiting for 127.0.0.1:%s ' "$KAFKA_PORT"
  while ((SECONDS < deadline)); do
    # Plain kill -0: right after the fork the child may not have exec'd java yet.
    if ! kill -0 "$pid" 2>/dev/null; then
      echo " died"
      rm -f "$PID_FILE"
      show_log_tail
      die "kafka exited during startup"
    fi
    if kafka_answers; then
      echo
      step "kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid, logs in $LOG_DIR)"
      return 0
    fi
    printf '.'
    dots=$((dots + 1))
    if ((dots % 10 == 0)); then printf '%ss' "$dots"; fi
    sleep 1
  done
  echo " timeout"
  show_log_tail
  die "kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s (still running as pid $pid; run '$0 stop')"
}

# ---------------------------------------------------------------------------- commands

cmd_start() {
  require_java
  libs_complete || cmd_fetch
  mkdir -p "$STATE_DIR"
  # Concurrent starts (parallel test jobs) queue here; the later ones then find the
  # broker running. The broker itself must not inherit this lock (fd 8 closed below).
  exec 8>"$STATE_DIR/.start.lock"
  flock -w "$((START_TIMEOUT + 30))" 8 || die "another '$0 start' holds $STATE_DIR/.start.lock"

  local pid
  pid="$(read_pid)"
  if broker_alive "$pid"; then
    if kafka_answers; then
      echo "kafka already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
      return 0
    fi
    # Alive but not answering yet: another start is under way; wait for it.
    wait_ready "$pid"
    return 0
  fi
  rm -f "$PID_FILE"

  local p
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT" ${SASL_PORT:+"$SASL_PORT"}; do
    if port_open "$p"; then
      die "port 127.0.0.1:$p is already in use by another process (set AGORA_KAFKA_PORT / AGORA_KAFKA_CONTROLLER_PORT / AGORA_KAFKA_SASL_PORT)"
    fi
  done

  write_configs
  if [[ -f "$SERVER_LOG" ]]; then LOG_OFFSET="$(wc -c <"$SERVER_LOG")"; fi
  format_storage

  step "starting kafka $KAFKA_VERSION ($BROKER_MAIN)"
  # Word splitting of HEAP_OPTS is intended: it holds several JVM flags.
  # shellcheck disable=SC2086
  nohup "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_FILE" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS_DIR/*" "$BROKER_MAIN" "$PROPS_FILE" >"$CONSOLE_LOG" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_ready "$pid"
}

cmd_stop() {
  local pid
  pid="$(read_pid)"
  if ! broker_alive "$pid"; then
    rm -f "$PID_FILE"
    echo "kafka not running"
    return 0
  fi
  step "stopping kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    step "kafka did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  step "kafka stopped"
}

cmd_status() {
  local pid
  pid="$(read_pid)"
  if broker_alive "$pid"; then
    if kafka_answers; then
      echo "kafka running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
      return 0
    fi
    echo "kafka not running: pid $pid is alive but 127.0.0.1:$KAFKA_PORT does not answer"
    return 1
  fi
  echo "kafka not running"
  return 1
}

main() {
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
}

main "$@"

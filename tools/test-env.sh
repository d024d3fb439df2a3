# shellcheck shell=sh
# The test environment, sourced (POSIX sh) from the repository root by tools/test.sh,
# tools/bench.sh and `make infra-up` / `make infra-down`: the same infrastructure as the
# developer's platform (`make up`), in its own state directory and on its own ports, so
# that the test suite never touches the platform's broker, topics or databases.
#
#                  platform (make up)         tests (make test, make infra-up)
#   state dir      .agora-local               .agora-test
#   Kafka          19092, controller 19093    29092, controller 29093, SASL 29094
#   PostgreSQL     15432                      25432
#
# It deliberately ignores the platform's variables (AGORA_LOCAL_DIR, AGORA_KAFKA_PORT …,
# which it overwrites): override the test environment with AGORA_TEST_LOCAL_DIR,
# AGORA_TEST_KAFKA_PORT, AGORA_TEST_KAFKA_CONTROLLER_PORT, AGORA_TEST_KAFKA_SASL_PORT,
# AGORA_TEST_POSTGRES_PORT, AGORA_TEST_POSTGRES_PASSWORD. The Python mirror is agora_platform.testenv (pytest's
# defaults); tests/deploy/test_local_environments.py checks that both agree.
#
# Exports, for deploy/local/*.sh: AGORA_LOCAL_DIR, AGORA_KAFKA_PORT,
# AGORA_KAFKA_CONTROLLER_PORT, AGORA_KAFKA_SASL_PORT, AGORA_POSTGRES_PORT,
# AGORA_POSTGRES_PASSWORD; for pytest and the benchmarks: AGORA_TEST_KAFKA,
# AGORA_TEST_KAFKA_SASL, AGORA_TEST_POSTGRES_DSN.

if [ ! -f deploy/local/infra.sh ]; then
  echo "tools/test-env.sh: source it from the repository root" >&2
  return 1 2>/dev/null || exit 1
fi

AGORA_LOCAL_DIR="${AGORA_TEST_LOCAL_DIR:-$PWD/.agora-test}"
AGORA_KAFKA_PORT="${AGORA_TEST_KAFKA_PORT:-29092}"
AGORA_KAFKA_CONTROLLER_PORT="${AGORA_TEST_KAFKA_CONTROLLER_PORT:-29093}"
AGORA_KAFKA_SASL_PORT="${AGORA_TEST_KAFKA_SASL_PORT:-29094}"
AGORA_POSTGRES_PORT="${AGORA_TEST_POSTGRES_PORT:-25432}"
AGORA_POSTGRES_PASSWORD="${AGORA_TEST_POSTGRES_PASSWORD:-agora-local-postgres}"
export AGORA_LOCAL_DIR AGORA_KAFKA_PORT AGORA_KAFKA_CONTROLLER_PORT AGORA_KAFKA_SASL_PORT \
  AGORA_POSTGRES_PORT AGORA_POSTGRES_PASSWORD

AGORA_TEST_KAFKA="127.0.0.1:$AGORA_KAFKA_PORT"
AGORA_TEST_KAFKA_SASL="127.0.0.1:$AGORA_KAFKA_SASL_PORT"
AGORA_TEST_POSTGRES_DSN="postgresql://postgres:$AGORA_POSTGRES_PASSWORD@127.0.0.1:$AGORA_POSTGRES_PORT/postgres"
export AGORA_TEST_KAFKA AGORA_TEST_KAFKA_SASL AGORA_TEST_POSTGRES_DSN

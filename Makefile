# The project's vocabulary. Every target works from a clean clone.
.PHONY: install up down infra-up infra-down infra-status status topics demo test check-sequence bench bench-smoke bench-core bench-platform bench-gateway bench-web lint typecheck fmt proto proto-check proto-ts proto-ts-check proto-lint proto-release schemas events translations

install:  ## install uv, Python packages and dev tools from uv.lock
	tools/bootstrap.sh

up:  ## install what is missing, start Kafka, PostgreSQL and every service (.agora-local/), wait until SERVING
	deploy/local/platform.sh up

down:  ## stop everything `make up` started
	deploy/local/platform.sh down

infra-up:  ## only the test environment, to run pytest by hand: Kafka (+SASL, topics provisioned) and PostgreSQL in .agora-test/ on test ports
	. tools/test-env.sh && deploy/local/infra.sh up

infra-down:  ## stop what `make infra-up` started
	. tools/test-env.sh && deploy/local/infra.sh down

infra-status:  ## is each part of the test environment running?
	. tools/test-env.sh && deploy/local/infra.sh status

status:  ## is each part of the platform running and answering?
	deploy/local/platform.sh status

topics: install  ## Kafka topics from the event registry: ARGS=plan (report drift) or ARGS=apply
	AGORA_KAFKA_BOOTSTRAP_SERVERS=$${AGORA_KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$${AGORA_KAFKA_PORT:-19092}} \
		.venv/bin/python -m agora_core.topics $(or $(ARGS),plan)

demo:  ## play the demo journey against the running platform (make up first)
	.venv/bin/python -m agora_demo

test:  ## install everything, start the test environment (.agora-test/, not the platform), lint, type-check, run all tests, stop it
	tools/test.sh

check-sequence: install  ## make up, make demo, the suite's fuzzing, make up, make demo (default environments; stops the platform after)
	. tools/test-env.sh && deploy/local/infra.sh up && { .venv/bin/pytest -m sequence tests/system_sequence; rc=$$?; deploy/local/infra.sh down; exit $$rc; }

bench:  ## benchmarks with same-run baselines (starts and stops the test environment)
	tools/bench.sh

bench-smoke: install  ## every bench/*.py at its --smoke size, as CI runs them (tests/bench_smoke; starts and stops the test environment; figures not judged)
	. tools/test-env.sh && deploy/local/infra.sh up && { .venv/bin/pytest -m bench_smoke tests/bench_smoke; rc=$$?; deploy/local/infra.sh down; exit $$rc; }

bench-core:  ## agora-core on PostgreSQL beside raw aiokafka/psycopg baselines (starts and stops the test environment); ARGS="--quick"
	tools/bench.sh --only core_messaging $(ARGS)

bench-gateway:  ## Connect JSON reads beside native gRPC (starts and stops the test environment); ARGS="--quick"
	tools/bench.sh --only gateway $(ARGS)

bench-web:  ## the web app's budgets: initial JS, home page LCP, Lighthouse (starts and stops the test environment; Debian's chromium)
	tools/bench.sh --only web_budgets $(ARGS)

bench-platform: install  ## end to end: a private platform (own Kafka, PostgreSQL, services) under load; ARGS="--quick"
	.venv/bin/python -m bench.platform_e2e $(ARGS)

translations: install  ## notifications' gettext catalogs: re-extract the .pot from the code, update every .po (ARGS="--add de" starts a language)
	.venv/bin/python -m agora_notifications.i18n.extraction $(ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	.venv/bin/mypy

fmt: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

proto: install  ## regenerate Python code from proto/ into agora-contracts
	.venv/bin/python tools/gen_protos.py

proto-check: install
	.venv/bin/python tools/gen_protos.py --check

proto-ts: install  ## regenerate the TypeScript Connect clients (clients/typescript/src/gen) from proto/ (npm packages from package-lock.json)
	.venv/bin/python tools/proto_products.py ts

proto-ts-check: install  ## are the committed TypeScript clients fresh, and do they compile under tsc --strict?
	.venv/bin/python tools/proto_products.py ts --check
	.venv/bin/python tools/proto_products.py typecheck

proto-lint: install  ## buf lint, and buf breaking against the last released contracts (proto/released/)
	.venv/bin/python tools/proto_products.py lint

proto-release: install  ## snapshot proto/ as the released contracts of agora-contracts' current version
	.venv/bin/python tools/proto_products.py release

schemas: install  ## write JSON Schema snapshots of new (or compatibly changed) event types
	.venv/bin/python -m agora_contracts.events.schemas --write

events: install  ## regenerate the events catalogue: docs/events/asyncapi.yaml and docs/events/README.md
	.venv/bin/python -m agora_contracts.events.asyncapi --write

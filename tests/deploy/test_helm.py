"""The Helm chart, rendered by the real ``helm`` (built from its Go module, cached).

Each render (default values, ``values-production.yaml``, every toggle on) passes
``helm lint --strict``; built-in kinds are validated by ``kubernetes-validate
--strict`` against the chart's oldest and newest supported Kubernetes; the CRD kinds
against the structural schemas of ``crd_schemas.py``. The assertions then check what
operations rely on: probes, non-root, env that the settings classes accept, scaling
bounded by partitions, policies that select the pods, topics equal to the registry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from agora_contracts.events.registry import REGISTRY
from agora_contracts.events.schemas import load_platform_events
from agora_core.settings import load_settings

from .crd_schemas import SCHEMAS
from .helm_chart import (
    ALL_TOGGLES,
    PRODUCTION_VALUES,
    PUBLIC_ROUTES,
    WEB_APP,
    Rendered,
    RenderError,
    render,
    run_helm,
)
from .layout import ALERTS, CHART, DASHBOARD, SERVICES, ServiceSpec
from .tools import helm as build_helm

# The first test may build helm from its Go module (minutes on a cold cache).
pytestmark = [pytest.mark.deploy, pytest.mark.timeout(2400)]

KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")
# name -> (values files, --set assignments)
VARIANTS: dict[str, tuple[tuple[Path, ...], tuple[str, ...]]] = {
    "defaults": ((), ()),
    "production": ((PRODUCTION_VALUES,), ()),
    "all-toggles": ((), ALL_TOGGLES),
    "public-routes": ((), PUBLIC_ROUTES),
    "web-app": ((), WEB_APP),
}


@pytest.fixture(scope="session")
def helm() -> Path:
    return build_helm()


@pytest.fixture(scope="module")
def renders(helm: Path) -> dict[str, Rendered]:
    return {name: render(helm, values=files, sets=sets) for name, (files, sets) in VARIANTS.items()}


@pytest.fixture(scope="module")
def default(renders: dict[str, Rendered]) -> Rendered:
    return renders["defaults"]


def registry_topics() -> list[str]:
    load_platform_events()
    return REGISTRY.topics()


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def name_of(spec: ServiceSpec) -> str:
    return f"agora-{spec.name}"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_lint_strict(helm: Path, variant: str) -> None:
    args = ["lint", "--strict", str(CHART), "--kube-version", "1.33.0"]
    files, sets = VARIANTS[variant]
    for path in files:
        args += ["--values", str(path)]
    for assignment in sets:
        args += ["--set", assignment]
    done = run_helm(helm, *args)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_manifests_are_valid(renders: dict[str, Rendered], variant: str) -> None:
    custom = 0
    for document in renders[variant].documents:
        key = (document["apiVersion"], document["kind"])
        if key in SCHEMAS:
            jsonschema.validate(document, SCHEMAS[key])
            custom += 1
            continue
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(document, version, strict=True)
    if variant != "defaults":
        assert custom > 0


def test_custom_resource_schemas_catch_mistakes(renders: dict[str, Rendered]) -> None:
    monitor = renders["all-toggles"].of_kind("ServiceMonitor")[0]
    broken = {**monitor, "spec": {**monitor["spec"], "endpoint": monitor["spec"]["endpoints"]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMAS[("monitoring.coreos.com/v1", "ServiceMonitor")])


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


def resolve_env(
    rendered: Rendered, container: dict[str, Any], secret: dict[str, str]
) -> Iterator[tuple[str, str]]:
    for variable in container["env"]:
        if "value" in variable:
            yield variable["name"], variable["value"]
            continue
        ref = variable["valueFrom"]["secretKeyRef"]
        if ref["key"] in secret:
            yield variable["name"], secret[ref["key"]]
        else:
            assert ref.get("optional") is True, f"{variable['name']}: {ref['key']} missing"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_deployment_runs_hardened_with_probes(default: Rendered, spec: ServiceSpec) -> None:
    deployment = default.get("Deployment", name_of(spec))
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's user
    assert pod["automountServiceAccountToken"] is False
    (container,) = containers(deployment)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["grpc"] == spec.grpc_port
    assert ports["http"] == spec.http_port
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["grpc"] == {"port": spec.grpc_port}
    assert container["image"].endswith(f"/{spec.name}:0.1.0")


@pytest.mark.parametrize("variant", ["defaults", "production"])
@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_environment_is_a_valid_production_configuration(
    renders: dict[str, Rendered],
    variant: str,
    spec: ServiceSpec,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered = renders[variant]
    (container,) = containers(rendered.get("Deployment", name_of(spec)))
    names = [v["name"] for v in container["env"]]
    assert len(names) == len(set(names)), "an env variable is set twice"
    assert set(names) <= spec.env_names(), set(names) - spec.env_names()
    if variant == "defaults":
        secret = rendered.secret_data("agora")
    else:  # the existing Secrets an operator provides, with every documented key
        refs = {
            v["valueFrom"]["secretKeyRef"]["name"] for v in container["env"] if "valueFrom" in v
        }
        assert refs == {"agora-runtime", f"agora-{spec.name}-db"}
        secret = {
            "jwt-jwks-url": "https://login.example.com/realms/agora/certs",
            "notifications-unsubscribe-secret": "u" * 48,
            "kafka-sasl-password": "k" * 32,
            "dsn": f"postgresql://{spec.database}:pw@pooler.db:5432/{spec.database}",
        }
    for key in list(os.environ):
        if key.startswith(spec.env_prefix):
            monkeypatch.delenv(key)
    for name, value in resolve_env(rendered, container, secret):
        monkeypatch.setenv(name, value)
    settings = load_settings(spec.settings)
    if variant == "production":  # Keycloak-shaped claims
        assert settings.jwt_roles_claim == "realm_access.roles"
        assert settings.jwt_role_mapping["agora-admin"] == "admin"
    assert not settings.dev_mode
    assert settings.jwt_hs256_secret is None
    assert settings.jwt_jwks_url
    assert settings.grpc_host == "0.0.0.0"  # noqa: S104  (inside the pod)
    # Connect: off by default, on in the production example with its web app's origin.
    if variant == "defaults":
        assert not settings.connect_enabled
    else:
        assert settings.connect_enabled
        assert settings.connect_host == "0.0.0.0"  # noqa: S104  (inside the pod)
        assert settings.connect_port == values()["connect"]["port"]
        assert settings.connect_cors_allowed_origins == ("https://learn.example.com",)
    # SIGTERM: preStop sleep, then gRPC drain and handler drain, each up to the grace.
    pod = rendered.get("Deployment", name_of(spec))["spec"]["template"]["spec"]
    pre_stop = float(container["lifecycle"]["preStop"]["exec"]["command"][1])
    budget = pre_stop + 2 * settings.shutdown_grace_seconds
    assert pod["terminationGracePeriodSeconds"] > budget


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_service_pdb_and_policy_select_the_pods(default: Rendered, spec: ServiceSpec) -> None:
    deployment = default.get("Deployment", name_of(spec))
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    service = default.get("Service", name_of(spec))
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "grpc": spec.grpc_port,
        "http": spec.http_port,
        **({"public": spec.extra_ports[0]} if spec.extra_ports else {}),
    }
    pdb = default.get("PodDisruptionBudget", name_of(spec))
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1
    policy = default.get("NetworkPolicy", name_of(spec))
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    ingress_ports = [{p["port"] for p in rule["ports"]} for rule in policy["spec"]["ingress"]]
    assert {spec.grpc_port} in ingress_ports
    metrics_rule = next(
        r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} == {spec.http_port}
    )
    assert metrics_rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", ())}
    assert {53, 9092, 5432} <= egress_ports
    assert 27017 not in egress_ports  # no MongoDB any more


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_hpa_scales_on_cpu_within_the_partitions(default: Rendered, spec: ServiceSpec) -> None:
    hpa = default.get("HorizontalPodAutoscaler", name_of(spec))
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": name_of(spec),
    }
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["maxReplicas"] <= values()["kafka"]["topics"]["partitions"]
    assert "replicas" not in default.get("Deployment", name_of(spec))["spec"]


def test_keda_replaces_the_hpa_and_reads_the_service_group(renders: dict[str, Rendered]) -> None:
    production = renders["production"]
    scaled = {o["metadata"]["name"]: o for o in production.of_kind("ScaledObject")}
    hpas = {o["metadata"]["name"] for o in production.of_kind("HorizontalPodAutoscaler")}
    assert set(scaled) == {"agora-gamification", "agora-notifications"}
    assert not set(scaled) & hpas
    for spec in SERVICES:
        if name_of(spec) in scaled:
            kafka = scaled[name_of(spec)]["spec"]["triggers"][0]
            required = {"jwt_jwks_url": "https://x/jwks"}
            if "unsubscribe_secret" in spec.settings.model_fields:  # required outside dev
                required["unsubscribe_secret"] = "u" * 32
            group = load_settings(spec.settings, **required).group_id
            assert kafka["type"] == "kafka"
            assert kafka["metadata"]["consumerGroup"] == group


def test_too_many_replicas_for_the_partitions_is_refused(helm: Path) -> None:
    with pytest.raises(RenderError, match=r"raise kafka\.topics\.partitions"):
        render(helm, sets=("kafka.topics.partitions=4",))


def test_missing_token_verification_is_refused(helm: Path) -> None:
    with pytest.raises(RenderError, match=r"auth\.jwksUrl or auth\.publicKeyPem is required"):
        render(helm, sets=("auth.jwksUrl=",))


@pytest.mark.parametrize(
    ("assignment", "complaint"),
    [
        ("services.catalog.autoscalling.enabled=false", "additional properties 'autoscalling'"),
        ("logLevel=LOUD", "value must be one of"),
        ("kafka.topics.provisioning=manual", "value must be one of"),
        ("services.community.grpcPort=70000", "maximum"),
        ("defaults.postgres.pool.maxSize=0", "minimum"),
        ("services.catalog.postgres.dsn=mongodb://x", "does not match pattern"),
        ("kafka.topics.job.service=search", "value must be one of"),
        ("auth.roleMapping.Agora-Admin=root", "value must be one of"),
        ("auth.rolesClaim=", "minLength"),
        ("defaults.grpc.maxConnectionAgeSeconds=-1", "minimum"),
        ("connect.port=0", "minimum"),
    ],
)
def test_values_schema_refuses_mistakes(helm: Path, assignment: str, complaint: str) -> None:
    with pytest.raises(RenderError, match=re.escape(complaint)):
        render(helm, sets=(assignment,))


def test_topics_are_the_registry_topics_and_their_dead_letters(
    renders: dict[str, Rendered],
) -> None:
    topics = registry_topics()
    assert values()["kafka"]["topics"]["names"] == topics
    wanted = set(topics) | {f"{t}.dlq" for t in topics}
    strimzi = renders["all-toggles"].of_kind("KafkaTopic")
    assert {t["spec"]["topicName"] for t in strimzi} == wanted
    partitions = values()["kafka"]["topics"]["partitions"]
    for topic in strimzi:
        if not topic["spec"]["topicName"].endswith(".dlq"):
            assert topic["spec"]["partitions"] == partitions


def test_monitoring_resources_carry_the_shared_rules_and_dashboard(
    renders: dict[str, Rendered],
) -> None:
    rendered = renders["all-toggles"]
    rule = rendered.get("PrometheusRule", "agora")
    assert rule["spec"] == yaml.safe_load(ALERTS.read_text())
    dashboard = rendered.get("ConfigMap", "agora-dashboard")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["data"]["agora.json"] == DASHBOARD.read_text().rstrip("\n")
    for spec in SERVICES:
        monitor = rendered.get("ServiceMonitor", name_of(spec))
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["port"] == "http"
        assert endpoint["path"] == "/metrics"
        assert endpoint["honorLabels"] is True
        assert {"targetLabel": "agora_service", "replacement": spec.name} in endpoint["relabelings"]


def test_existing_secret_replaces_the_chart_secret(renders: dict[str, Rendered]) -> None:
    assert renders["production"].of_kind("Secret") == []


HOOKS = ("pre-install", "pre-upgrade")


def hook_of(document: dict[str, Any]) -> tuple[set[str], int, set[str]]:
    """(events, weight, delete policies) of a Helm hook."""
    annotations = document["metadata"].get("annotations", {})
    assert "helm.sh/hook" in annotations, f"{document['metadata']['name']} is not a hook"
    return (
        set(annotations["helm.sh/hook"].split(",")),
        int(annotations.get("helm.sh/hook-weight", "0")),
        set(annotations.get("helm.sh/hook-delete-policy", "").split(",")),
    )


def env_by_name(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in container["env"]}


@pytest.mark.parametrize("variant", ["defaults", "production"])
@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_deployment_reads_its_dsn_from_a_secret(
    renders: dict[str, Rendered], variant: str, spec: ServiceSpec
) -> None:
    rendered = renders[variant]
    (container,) = containers(rendered.get("Deployment", name_of(spec)))
    env = env_by_name(container)
    ref = env[f"{spec.env_prefix}POSTGRES_DSN"]["valueFrom"]["secretKeyRef"]
    assert not ref.get("optional")
    if variant == "defaults":
        assert ref == {"name": "agora", "key": f"{spec.name}-postgres-dsn"}
        dsn = rendered.secret_data("agora")[ref["key"]]
        assert dsn.startswith("postgresql://")
        assert dsn.endswith(f"/{spec.database}")
    else:
        assert ref == {"name": f"agora-{spec.name}-db", "key": "dsn"}
    for name in ("MIN_SIZE", "MAX_SIZE", "TIMEOUT_SECONDS"):
        assert float(env[f"{spec.env_prefix}POSTGRES_POOL_{name}"]["value"]) > 0
    # Migrations belong to the hook Job, not to every replica racing at start-up.
    assert env[f"{spec.env_prefix}POSTGRES_MIGRATE_ON_START"]["value"] == "false"
    # No connection string, hence no password, in a plain value anywhere.
    for variable in container["env"]:
        assert "postgres" not in str(variable.get("value", "")).lower(), variable["name"]


@pytest.mark.parametrize("variant", ["defaults", "production"])
@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_migration_job_runs_before_the_service_as_a_hook(
    renders: dict[str, Rendered], variant: str, spec: ServiceSpec
) -> None:
    rendered = renders[variant]
    job = rendered.get("Job", f"agora-{spec.name}-migrate")
    events, weight, delete = hook_of(job)
    assert events == set(HOOKS)
    if variant == "defaults":  # production leaves topics to Strimzi
        assert weight > hook_of(rendered.get("Job", "agora-topics"))[1]
    assert {"before-hook-creation", "hook-succeeded"} <= delete
    pod = job["spec"]["template"]["spec"]
    deployment = rendered.get("Deployment", name_of(spec))["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"] == deployment["securityContext"]
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    (service,) = deployment["containers"]
    assert container["image"] == service["image"]
    assert container["command"] == ["python", "-m", spec.module, "migrate"]
    assert container["securityContext"] == service["securityContext"]
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    # The same configuration as the service, read from the hook copy of the Secret
    # (the release's own Secret does not exist yet on a first install).
    hook_secret = "agora-runtime" if variant == "production" else "agora-hooks"
    service_secret = "agora-runtime" if variant == "production" else "agora"

    def as_hook(variable: dict[str, Any]) -> dict[str, Any]:
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref is None or ref["name"] != service_secret:
            return variable
        return {**variable, "valueFrom": {"secretKeyRef": {**ref, "name": hook_secret}}}

    assert container["env"] == [as_hook(v) for v in service["env"]]


def test_hook_secret_copies_the_chart_secret_before_the_hooks(default: Rendered) -> None:
    hook = default.get("Secret", "agora-hooks")
    events, weight, delete = hook_of(hook)
    assert events == set(HOOKS)
    jobs = default.of_kind("Job")
    assert jobs
    assert all(weight < hook_of(job)[1] for job in jobs)
    # Deleted once every hook succeeded: no second copy of the secrets stays behind.
    assert delete == {"before-hook-creation", "hook-succeeded"}
    assert default.secret_data("agora-hooks") == default.secret_data("agora")


def test_missing_dsn_is_refused(helm: Path) -> None:
    with pytest.raises(RenderError, match=r"services\.community\.postgres\.dsn is required"):
        render(helm, sets=("services.community.postgres.dsn=",))


def test_migrations_can_be_left_to_the_operator(helm: Path) -> None:
    rendered = render(
        helm, sets=("postgres.migrations.enabled=false", "kafka.topics.provisioning=none")
    )
    assert rendered.of_kind("Job") == []
    assert [s["metadata"]["name"] for s in rendered.of_kind("Secret")] == ["agora"]


def test_topics_job_runs_the_topics_command_as_a_hook(default: Rendered) -> None:
    job = default.get("Job", "agora-topics")
    events, _, delete = hook_of(job)
    assert events == set(HOOKS)
    assert {"before-hook-creation", "hook-succeeded"} <= delete
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "agora_core.topics", "apply"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["image"].endswith(f"/{values()['kafka']['topics']['job']['service']}:0.1.0")
    env = {v["name"]: v.get("value") for v in container["env"]}
    topics = values()["kafka"]["topics"]
    assert env["AGORA_KAFKA_BOOTSTRAP_SERVERS"] == values()["kafka"]["bootstrapServers"]
    assert env["AGORA_TOPICS_PARTITIONS"] == str(topics["partitions"])
    assert env["AGORA_TOPICS_REPLICATION_FACTOR"] == str(topics["replicationFactor"])
    assert env["AGORA_TOPICS_MIN_INSYNC_REPLICAS"] == str(topics["minInsyncReplicas"])
    assert env["AGORA_TOPICS_RETENTION_MS"] == str(topics["retentionMs"])
    assert env["AGORA_TOPICS_DLQ_RETENTION_MS"] == str(topics["dlqRetentionMs"])
    # The connection under the services' plain AGORA_ prefix, as the command reads it.
    assert env["AGORA_KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"


def test_topics_job_logs_in_with_sasl_from_the_hook_secret(helm: Path) -> None:
    rendered = render(
        helm,
        sets=(
            "kafka.securityProtocol=SASL_SSL",
            "kafka.sasl.username=agora",
            "secrets.kafkaSaslPassword=" + "p" * 24,
        ),
    )
    (container,) = rendered.get("Job", "agora-topics")["spec"]["template"]["spec"]["containers"]
    ref = env_by_name(container)["AGORA_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "agora-hooks", "key": "kafka-sasl-password"}
    assert rendered.secret_data("agora-hooks")["kafka-sasl-password"] == "p" * 24


def flattened_keys(node: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of the values' leaves (lists and empty maps are leaves)."""
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from flattened_keys(child, f"{prefix}{key}.")
    else:
        yield prefix.rstrip(".")


def test_every_value_is_documented() -> None:
    readme = (CHART / "README.md").read_text()
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, re.M))
    keys = set(flattened_keys(values()))
    # Maps of free-form entries are documented as a whole.
    keys = {re.sub(r"^(.*\.(resources|label|labels))\..*$", r"\1", k) for k in keys}
    missing = keys - documented
    assert not missing, f"values not in deploy/helm/agora/README.md: {sorted(missing)}"
    stale = documented - keys
    assert not stale, f"README documents values that do not exist: {sorted(stale)}"
    text = (CHART / "values.yaml").read_text()
    undocumented = [
        line.strip()
        for previous, line in zip(text.splitlines(), text.splitlines()[1:], strict=False)
        if re.match(r"^\s*[A-Za-z][\w.]*:\s*\S", line)
        and not previous.strip().startswith("#")
        and not line.strip().startswith("-")
    ]
    nested = [line for line in undocumented if not line.startswith(("requests", "limits"))]
    assert not nested, f"values.yaml leaves without a comment: {nested}"

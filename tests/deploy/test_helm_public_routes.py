"""The chart's public endpoints: Ingress and Gateway API HTTPRoutes reach the Connect API
of every service and the public HTTP links, and nothing else; identity-provider claims
and the gRPC connection age reach the services' settings.

Rendered by the real ``helm``; ``test_helm.py`` lints and validates the same render
(variant ``public-routes``: Ingress with ``kubernetes-validate``, HTTPRoute with the
structural schema of ``crd_schemas.py``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from agora_core.identity import Role
from agora_core.settings import load_settings

from .helm_chart import LINKS_HOST, PUBLIC_ROUTES, Rendered, RenderError, render
from .layout import ROOT, SERVICES, ServiceSpec
from .tools import helm as build_helm

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(2400)]

API_HOST = "api.agora.example.com"
CONNECT_PORT = 8080
# What each public HTTP port serves, below its publicBaseUrl.
PUBLIC_PATHS = {"gamification": "/tenants", "notifications": "/unsubscribe"}


@pytest.fixture(scope="module")
def helm() -> Path:
    return build_helm()


@pytest.fixture(scope="module")
def public(helm: Path) -> Rendered:
    return render(helm, sets=PUBLIC_ROUTES)


def proto_services() -> dict[str, set[str]]:
    """Full names of the API services in proto/, by the Agora service (package) owning them."""
    owners: dict[str, set[str]] = {}
    for path in sorted((ROOT / "proto" / "agora").glob("*/v1/*.proto")):
        text = path.read_text()
        package = re.search(r"^package (agora\.(\w+)\.v1);", text, re.M)
        assert package is not None, path
        for service in re.findall(r"^service (\w+) \{", text, re.M):
            owners.setdefault(package.group(2), set()).add(f"{package.group(1)}.{service}")
    return owners


def ingress_paths(rendered: Rendered) -> dict[str, dict[str, tuple[str, str]]]:
    """host -> path -> (Service, port name)."""
    (ingress,) = rendered.of_kind("Ingress")
    return {
        rule["host"]: {
            p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["name"])
            for p in rule["http"]["paths"]
        }
        for rule in ingress["spec"]["rules"]
    }


def expected_routes() -> dict[str, dict[str, tuple[str, str]]]:
    services = proto_services()
    api = {
        f"/{name}": (f"agora-{spec.name}", "connect")
        for spec in SERVICES
        for name in services[spec.name]
    }
    links = {path: (f"agora-{name}", "public") for name, path in PUBLIC_PATHS.items()}
    return {API_HOST: api, LINKS_HOST: links}


def test_the_ingress_reaches_every_api_service_and_the_public_links_only(
    public: Rendered,
) -> None:
    paths = ingress_paths(public)
    assert paths == expected_routes()
    assert not any("admin" in path for host in paths.values() for path in host)
    (ingress,) = public.of_kind("Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    # Every backend port name exists on its Service.
    for host in paths.values():
        for service_name, port_name in host.values():
            service = public.get("Service", service_name)
            assert port_name in {p["name"] for p in service["spec"]["ports"]}


def test_the_http_routes_match_the_ingress_with_the_service_ports(public: Rendered) -> None:
    routes = {r["spec"]["hostnames"][0]: r for r in public.of_kind("HTTPRoute")}
    assert set(routes) == {API_HOST, LINKS_HOST}
    for host, expected in expected_routes().items():
        route = routes[host]
        assert route["spec"]["parentRefs"] == [
            {"name": "agora-gateway", "namespace": "gateway-system"}
        ]
        found: dict[str, tuple[str, str]] = {}
        for rule in route["spec"]["rules"]:
            ((match,), (backend,)) = rule["matches"], rule["backendRefs"]
            assert match["path"]["type"] == "PathPrefix"
            assert "filters" not in rule  # no base path to strip
            ports = public.get("Service", backend["name"])["spec"]["ports"]
            (port_name,) = [p["name"] for p in ports if p["port"] == backend["port"]]
            found[match["path"]["value"]] = (backend["name"], port_name)
        assert found == expected


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_the_connect_port_is_served_exposed_and_allowed_from_the_public_peers(
    public: Rendered, spec: ServiceSpec
) -> None:
    deployment = public.get("Deployment", f"agora-{spec.name}")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "connect", "containerPort": CONNECT_PORT, "protocol": "TCP"} in container[
        "ports"
    ]
    service = public.get("Service", f"agora-{spec.name}")
    assert {
        "name": "connect",
        "port": CONNECT_PORT,
        "targetPort": "connect",
        "protocol": "TCP",
    } in (service["spec"]["ports"])
    policy = public.get("NetworkPolicy", f"agora-{spec.name}")
    public_rule = next(
        rule
        for rule in policy["spec"]["ingress"]
        if CONNECT_PORT in {p["port"] for p in rule["ports"]}
    )
    assert public_rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]


def test_by_default_no_route_and_no_connect_port(helm: Path) -> None:
    rendered = render(helm)
    assert not rendered.of_kind("Ingress")
    assert not rendered.of_kind("HTTPRoute")
    for spec in SERVICES:
        ports = rendered.get("Service", f"agora-{spec.name}")["spec"]["ports"]
        assert "connect" not in {p["name"] for p in ports}


def test_http_routes_strip_the_path_of_a_public_base_url(helm: Path) -> None:
    # The default base URLs are https://agora.example.com/gamification and /notifications.
    rendered = render(helm, sets=("gatewayApi.enabled=true",))
    (route,) = rendered.of_kind("HTTPRoute")
    assert route["spec"]["hostnames"] == ["agora.example.com"]
    rules = {r["matches"][0]["path"]["value"]: r for r in route["spec"]["rules"]}
    assert set(rules) == {"/gamification/tenants", "/notifications/unsubscribe"}
    for path, served in (
        ("/gamification/tenants", "/tenants"),
        ("/notifications/unsubscribe", "/unsubscribe"),
    ):
        (rewrite,) = rules[path]["filters"]
        assert rewrite["urlRewrite"]["path"] == {
            "type": "ReplacePrefixMatch",
            "replacePrefixMatch": served,
        }


def test_an_ingress_refuses_a_public_base_url_with_a_path(helm: Path) -> None:
    with pytest.raises(RenderError, match=r"publicBaseUrl has a path \(/gamification\)"):
        render(helm, sets=("ingress.enabled=true",))


ENTRA_ID = (
    "auth.issuer=https://login.microsoftonline.com/7f0c/v2.0",
    "auth.audience=api://agora",
    "auth.subjectClaim=oid",
    "auth.tenantClaim=tid",
    "auth.rolesClaim=roles",
    "auth.roleMapping.Agora\\.Admin=admin",
    "auth.roleMapping.Agora\\.Expert=expert",
    "auth.rolesClaimRequired=false",
    "defaults.grpc.maxConnectionAgeSeconds=120",
    "services.catalog.grpc.maxConnectionAgeGraceSeconds=5",
)


def settings_of(rendered: Rendered, spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch) -> Any:
    (container,) = rendered.get("Deployment", f"agora-{spec.name}")["spec"]["template"]["spec"][
        "containers"
    ]
    for key in list(os.environ):
        if key.startswith(spec.env_prefix):
            monkeypatch.delenv(key)
    secret = rendered.secret_data("agora")
    for variable in container["env"]:
        if "value" in variable:
            monkeypatch.setenv(variable["name"], variable["value"])
        elif variable["valueFrom"]["secretKeyRef"]["key"] in secret:
            key = variable["valueFrom"]["secretKeyRef"]["key"]
            monkeypatch.setenv(variable["name"], secret[key])
    return load_settings(spec.settings)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_identity_provider_claims_and_connection_age_reach_the_settings(
    helm: Path, spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_of(render(helm, sets=ENTRA_ID), spec, monkeypatch)
    assert settings.jwt_subject_claim == "oid"
    assert settings.jwt_tenant_claim == "tid"
    assert settings.jwt_fixed_tenant is None
    assert settings.jwt_role_mapping == {"Agora.Admin": Role.ADMIN, "Agora.Expert": Role.EXPERT}
    assert settings.jwt_roles_claim_required is False
    assert settings.jwt_audience == "api://agora"
    assert settings.grpc_max_connection_age_seconds == 120
    grace = 5 if spec.name == "catalog" else 30
    assert settings.grpc_max_connection_age_grace_seconds == grace


def test_the_chart_defaults_keep_agora_s_own_claims(
    helm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = SERVICES[0]
    settings = settings_of(render(helm), spec, monkeypatch)
    defaults = {
        name: spec.settings.model_fields[name].get_default(call_default_factory=True)
        for name in (
            "jwt_subject_claim",
            "jwt_tenant_claim",
            "jwt_fixed_tenant",
            "jwt_roles_claim",
            "jwt_role_mapping",
            "jwt_roles_claim_required",
            "grpc_max_connection_age_seconds",
            "grpc_max_connection_age_grace_seconds",
        )
    }
    assert {name: getattr(settings, name) for name in defaults} == defaults

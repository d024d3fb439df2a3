"""The chart's web app (``web.enabled``): a hardened Deployment of the web image, its
Service, PodDisruptionBudget and NetworkPolicy, its route on ``web.host``, its origin
allowed by the services' Connect CORS, and an environment the image's entrypoint turns
into the expected ``config.json`` (the real script runs on the rendered variables).

``test_helm.py`` lints and validates the same render (variant ``web-app``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .helm_chart import PUBLIC_ROUTES, WEB_APP, WEB_HOST, Rendered, RenderError, render
from .layout import ROOT, SERVICES
from .tools import helm as build_helm

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(2400)]

API = "https://api.agora.example.com"
WRITE_CONFIG = ROOT / "apps" / "web" / "deploy" / "write-config.sh"


@pytest.fixture(scope="module")
def helm() -> Path:
    return build_helm()


@pytest.fixture(scope="module")
def web(helm: Path) -> Rendered:
    return render(helm, sets=WEB_APP)


def pod_spec(rendered: Rendered, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.get("Deployment", name)["spec"]["template"]["spec"]
    return spec


def env_of(rendered: Rendered) -> dict[str, str]:
    (container,) = pod_spec(rendered, "agora-web")["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


def test_off_by_default(helm: Path) -> None:
    rendered = render(helm, sets=PUBLIC_ROUTES)
    assert not [d for d in rendered.documents if d["metadata"]["name"] == "agora-web"]


def test_the_app_runs_hardened_like_the_services(web: Rendered) -> None:
    pod, catalog = pod_spec(web, "agora-web"), pod_spec(web, "agora-catalog")
    assert pod["securityContext"] == catalog["securityContext"]
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["securityContext"] == catalog["containers"][0]["securityContext"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["image"] == "ghcr.io/agora-learning/web:0.1.0"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/config.json", "port": "http"}
    assert container["resources"]["limits"] == {"cpu": "200m", "memory": "64Mi"}
    # nginx writes only to /tmp: an emptyDir.
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}]
    service = web.get("Service", "agora-web")["spec"]
    assert service["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    deployment = web.get("Deployment", "agora-web")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert service["selector"] == selector
    assert (
        web.get("PodDisruptionBudget", "agora-web")["spec"]["selector"]["matchLabels"] == selector
    )


def test_the_environment_becomes_the_expected_config_json(web: Rendered, tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603  (our own script)
        ["/bin/sh", str(WRITE_CONFIG), "true"],
        env={"PATH": os.environ["PATH"], "AGORA_WEB_CONFIG_DIR": str(tmp_path), **env_of(web)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "config.json").read_text()) == {
        "issuer": "https://idp.example.com/realms/agora",
        "clientId": "agora-web",
        "scope": "openid profile offline_access",
        "rolesClaim": "roles",
        "endpoints": {spec.name: API for spec in SERVICES},
    }


def test_the_provider_s_roles_claim_and_an_own_api_url_reach_the_app(helm: Path) -> None:
    rendered = render(
        helm,
        sets=(
            *WEB_APP,
            "auth.rolesClaim=realm_access.roles",
            "web.apiUrl=https://gateway.example.org/agora",
            "web.resource=https://agora.example/api",
        ),
    )
    env = env_of(rendered)
    assert env["AGORA_WEB_ROLES_CLAIM"] == "realm_access.roles"
    assert env["AGORA_WEB_RESOURCE"] == "https://agora.example/api"
    for spec in SERVICES:
        assert env[f"AGORA_WEB_{spec.name.upper()}_URL"] == "https://gateway.example.org/agora"


def test_the_services_allow_the_app_s_origin(helm: Path) -> None:
    rendered = render(
        helm, sets=(*WEB_APP, "connect.cors.allowedOrigins={https://portal.example.org}")
    )
    for spec in SERVICES:
        (container,) = pod_spec(rendered, f"agora-{spec.name}")["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        allowed = json.loads(env[f"{spec.env_prefix}CONNECT_CORS_ALLOWED_ORIGINS"])
        assert allowed == ["https://portal.example.org", f"https://{WEB_HOST}"]


def test_the_app_is_routed_on_its_host(web: Rendered) -> None:
    (ingress,) = web.of_kind("Ingress")
    [rule] = [r for r in ingress["spec"]["rules"] if r["host"] == WEB_HOST]
    assert rule["http"]["paths"] == [
        {
            "path": "/",
            "pathType": "Prefix",
            "backend": {"service": {"name": "agora-web", "port": {"name": "http"}}},
        }
    ]
    [route] = [r for r in web.of_kind("HTTPRoute") if r["spec"]["hostnames"] == [WEB_HOST]]
    assert route["spec"]["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "backendRefs": [{"name": "agora-web", "port": 8080}],
        }
    ]


def test_the_app_takes_requests_from_the_public_peers_and_calls_nothing(web: Rendered) -> None:
    policy = web.get("NetworkPolicy", "agora-web")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["egress"] == []
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    # The services admit their own pods on gRPC; the app's pods are not among them.
    labels = web.get("Deployment", "agora-web")["spec"]["template"]["metadata"]["labels"]
    for spec in SERVICES:
        service_policy = web.get("NetworkPolicy", f"agora-{spec.name}")["spec"]
        own = service_policy["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
        assert not own.items() <= labels.items()


def test_the_app_without_connect_is_refused(helm: Path) -> None:
    with pytest.raises(RenderError, match=r"web\.enabled needs connect\.enabled"):
        render(helm, sets=("web.enabled=true",))


@pytest.mark.parametrize(
    ("assignment", "complaint"),
    [
        ("web.issuer=idp.example.com", "web.issuer"),
        ('web.scope=openid"profile', "web.scope"),
        ("web.host=Learn_Example", "web.host"),
    ],
)
def test_the_schema_refuses_what_the_entrypoint_would(
    helm: Path, assignment: str, complaint: str
) -> None:
    with pytest.raises(RenderError, match=complaint):
        render(helm, sets=(*WEB_APP, assignment))

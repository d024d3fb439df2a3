"""Render the chart with the real helm binary and index what comes out."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .layout import CHART

# The chart's kubeVersion floor; helm built from its module reports v1.20 otherwise.
KUBE_VERSION = "1.33.0"
PRODUCTION_VALUES = CHART / "values-production.yaml"
ALL_TOGGLES = (
    "metrics.serviceMonitor.enabled=true",
    "metrics.prometheusRule.enabled=true",
    "metrics.dashboard.enabled=true",
    "kafka.topics.provisioning=strimzi",
    "defaults.keda.enabled=true",
)

# The public endpoints on both an Ingress and Gateway API routes; the links' base URLs
# without a path (an Ingress cannot strip one).
LINKS_HOST = "links.agora.example.com"
PUBLIC_ROUTES = (
    "connect.enabled=true",
    "ingress.enabled=true",
    "ingress.className=nginx",
    "gatewayApi.enabled=true",
    f"services.gamification.publicBaseUrl=https://{LINKS_HOST}",
    f"services.notifications.publicBaseUrl=https://{LINKS_HOST}",
)

# The web app beside the public routes (it needs Connect and is routed on its own host).
WEB_HOST = "learn.agora.example.com"
WEB_APP = (*PUBLIC_ROUTES, "web.enabled=true", f"web.host={WEB_HOST}")


class RenderError(AssertionError):
    """helm refused to render; the message is helm's."""


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (the pinned helm binary)
        [str(helm), *args], capture_output=True, text=True, timeout=120, check=False
    )


@dataclass(frozen=True)
class Rendered:
    """The manifests of one render, by kind and name."""

    documents: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        for document in self.of_kind(kind):
            if document["metadata"]["name"] == name:
                return document
        raise KeyError(f"{kind}/{name} not rendered")

    def secret_data(self, name: str) -> dict[str, str]:
        data = self.get("Secret", name).get("data", {})
        return {k: base64.b64decode(v).decode() for k, v in data.items()}


def render(
    helm: Path,
    *,
    values: Sequence[Path] = (),
    sets: Sequence[str] = (),
    release: str = "agora",
) -> Rendered:
    args = ["template", release, str(CHART), "--namespace", "learning"]
    args += ["--kube-version", KUBE_VERSION]
    for path in values:
        args += ["--values", str(path)]
    for assignment in sets:
        args += ["--set", assignment]
    done = run_helm(helm, *args)
    if done.returncode != 0:
        raise RenderError(done.stderr)
    documents = [d for d in yaml.safe_load_all(done.stdout) if d]
    return Rendered(documents)

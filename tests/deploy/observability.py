"""The PromQL of the dashboard and the alert rules, and the metric names it reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

import agora_core.grpc.metrics
import agora_core.messaging.metrics  # noqa: F401  (registers the metrics it defines)

from .layout import ALERTS, DASHBOARD

# Grafana replaces these before sending a query; any valid value will do for parsing.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$service": ".+"}
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = frozenset({"up"})


@dataclass(frozen=True)
class Query:
    """One PromQL expression and where it comes from."""

    origin: str
    expression: str


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of ``alerts.yml``."""
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_panels() -> list[dict[str, Any]]:
    """Panels of the dashboard, rows' nested panels included."""
    panels: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", ()))
    return panels


def queries() -> list[Query]:
    """Every PromQL expression of the alerts and the dashboard, variables substituted."""
    found = [Query(f"alert {rule['alert']}", str(rule["expr"])) for rule in alert_rules()]
    for panel in dashboard_panels():
        for target in panel.get("targets", ()):
            expression = str(target["expr"])
            for variable, value in GRAFANA_VARIABLES.items():
                expression = expression.replace(variable, value)
            found.append(Query(f"panel {panel['title']!r} {target['refId']}", expression))
    variable = next(v for v in dashboard()["templating"]["list"] if v["name"] == "service")
    definition = str(variable["definition"])
    # label_values(selector, label) is Grafana's; the selector inside is PromQL.
    selector = definition.removeprefix("label_values(").rsplit(",", 1)[0]
    found.append(Query("variable service", selector))
    return found


def sample_names(family: Metric) -> set[str]:
    """The series names a metric family is exposed under."""
    name = family.name
    if family.type == "counter":
        return {f"{name}_total", f"{name}_created"}
    if family.type == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    return {name}


def agora_core_series() -> dict[str, str]:
    """Series name → family name of every metric agora-core defines."""
    series: dict[str, str] = {}
    for family in REGISTRY.collect():
        if family.name.startswith("agora_"):
            for name in sample_names(family):
                series[name] = family.name
    return series

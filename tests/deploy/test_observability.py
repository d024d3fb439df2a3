"""The alert rules and the Grafana dashboard: schema, PromQL syntax, metric names.

PromQL is parsed by Prometheus' own grammar (``@prometheus-io/lezer-promql``, the
parser of the Prometheus UI); ``promtool`` is not packaged for PyPI and building it
from the Prometheus module would take longer than the rest of this suite. The rules
file is checked against a JSON Schema of Prometheus' rule-file format.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
import yaml

from .layout import ALERTS, CHART, DASHBOARD
from .observability import (
    PROMETHEUS_SERIES,
    agora_core_series,
    alert_rules,
    dashboard,
    dashboard_panels,
    queries,
)
from .tools import parse_promql

# The first parse may install the grammar from npm.
pytestmark = [pytest.mark.deploy, pytest.mark.timeout(900)]

DURATION = r"^([0-9]+(ms|s|m|h|d|w|y))+$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# Prometheus' rule-file format (prometheus/docs/configuration/recording_rules.md):
# only what Prometheus accepts, and what our runbooks require of every alert.
RULE_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["groups"],
    "properties": {
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "rules"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "interval": {"type": "string", "pattern": DURATION},
                    "limit": {"type": "integer", "minimum": 0},
                    "rules": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["alert", "expr", "labels", "annotations"],
                            "properties": {
                                "alert": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]+$"},
                                "expr": {"type": "string", "minLength": 1},
                                "for": {"type": "string", "pattern": DURATION},
                                "keep_firing_for": {"type": "string", "pattern": DURATION},
                                "labels": {
                                    "type": "object",
                                    "required": ["severity"],
                                    "properties": {
                                        "severity": {"enum": ["critical", "warning", "info"]}
                                    },
                                    "propertyNames": {"pattern": LABEL_NAME},
                                    "additionalProperties": {"type": "string"},
                                },
                                "annotations": {
                                    "type": "object",
                                    "required": ["summary", "description", "runbook"],
                                    "propertyNames": {"pattern": LABEL_NAME},
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}
REQUIRED_ALERTS = {
    "AgoraServiceDown",
    "AgoraConsumerLagGrowing",
    "AgoraDeadLetters",
    "AgoraGrpcErrorRate",
    "AgoraOutboxBacklogStuck",
}


def test_rule_file_matches_the_prometheus_format() -> None:
    jsonschema.validate(yaml.safe_load(ALERTS.read_text()), RULE_FILE_SCHEMA)


def test_alerts_cover_the_operational_risks() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    assert set(names) >= REQUIRED_ALERTS


def test_every_query_parses() -> None:
    found = queries()
    assert len(found) > 20
    for query, parsed in zip(found, parse_promql([q.expression for q in found]), strict=True):
        assert not parsed.error_offsets, (
            f"{query.origin}: PromQL syntax error at {parsed.error_offsets} in {query.expression!r}"
        )


def test_the_parser_rejects_broken_promql() -> None:
    """The check above can fail: the grammar reports typos and unbalanced brackets."""
    broken = ["sum(rate(x[5m])", "rat(x[5m])", "x{a=}", "sum by (a (x)"]
    for expression, parsed in zip(broken, parse_promql(broken), strict=True):
        assert parsed.error_offsets, expression


def test_queries_only_read_metrics_that_exist() -> None:
    known = set(agora_core_series()) | PROMETHEUS_SERIES
    found = queries()
    for query, parsed in zip(found, parse_promql([q.expression for q in found]), strict=True):
        assert parsed.metrics, f"{query.origin} reads no metric"
        unknown = parsed.metrics - known
        assert not unknown, f"{query.origin} reads metrics nobody exports: {unknown}"


def test_annotations_only_use_labels_the_alert_keeps() -> None:
    for rule in alert_rules():
        groups = re.findall(r"by \(([^)]*)\)", rule["expr"])
        # An aggregation keeps its "by" labels; a bare selector keeps the target's.
        kept = {"instance", "job", "agora_service"} if not groups else set()
        for group in groups:
            kept |= {label.strip() for label in group.split(",")}
        for text in rule["annotations"].values():
            used = set(re.findall(r"\$labels\.(\w+)", text))
            assert used <= kept, f"{rule['alert']} annotation uses {used - kept}"


def test_dashboard_is_templated_by_service() -> None:
    board = dashboard()
    assert board["uid"] == "agora-overview"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["service"]["includeAll"] is True
    assert variables["service"]["multi"] is True
    for panel in dashboard_panels():
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel.get("description"), f"panel {panel['title']!r} has no description"
        for target in panel["targets"]:
            assert 'agora_service=~"$service"' in target["expr"], panel["title"]


def test_dashboard_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = dashboard_panels()
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"panel {panel['title']!r} overlaps another"
        taken |= cells


def test_dashboard_shows_what_operations_needs() -> None:
    used = " ".join(q.expression for q in queries() if q.origin.startswith("panel"))
    for metric in (
        "agora_events_consumed_total",
        "agora_events_produced_total",
        "agora_events_failed_total",
        "agora_event_handler_seconds_bucket",
        "agora_consumer_lag",
        "agora_outbox_backlog",
        "agora_grpc_server_handling_seconds_bucket",
        "agora_grpc_server_handled_total",
    ):
        assert metric in used, metric


def test_chart_ships_the_same_rules_and_dashboard() -> None:
    assert (CHART / "files" / "alerts.yml").read_text() == ALERTS.read_text()
    assert (CHART / "files" / "agora.json").read_text() == DASHBOARD.read_text()

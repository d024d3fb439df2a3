"""Structural schemas of the custom resources the chart renders.

``kubernetes-validate`` bundles only the built-in kinds. These schemas hold the part of
each CRD's ``openAPIV3Schema`` that the chart uses (field names and types as the
operators define them: prometheus-operator ``monitoring.coreos.com/v1``, KEDA
``keda.sh/v1alpha1``, Strimzi ``kafka.strimzi.io/v1beta2``, Gateway API
``gateway.networking.k8s.io/v1`` HTTPRoute), closed with
``additionalProperties: false`` so that a misspelt or misplaced field fails. They are
a structure check, not the operators' full validation.
"""

from __future__ import annotations

from typing import Any, Final

STRING: Final = {"type": "string"}
INT: Final = {"type": "integer"}
LABELS: Final = {"type": "object", "additionalProperties": {"type": "string"}}
# prometheus-operator's Duration: units from years down to milliseconds, in order.
DURATION: Final = {
    "type": "string",
    "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?"
    "(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
}


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
                    "namespace": STRING,
                    "labels": LABELS,
                    "annotations": LABELS,
                },
            },
            "spec": spec,
        },
    }


def _closed(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


_LABEL_SELECTOR = _closed([], matchLabels=LABELS)
_RELABEL = _closed(
    [],
    sourceLabels={"type": "array", "items": STRING},
    separator=STRING,
    targetLabel=STRING,
    regex=STRING,
    modulus=INT,
    replacement=STRING,
    action={
        "enum": [
            "replace",
            "keep",
            "drop",
            "labelmap",
            "labeldrop",
            "labelkeep",
            "hashmod",
            "lowercase",
            "uppercase",
            "keepequal",
            "dropequal",
        ]
    },
)
_ENDPOINT = _closed(
    ["port"],
    port=STRING,
    path=STRING,
    scheme={"enum": ["http", "https"]},
    interval=DURATION,
    scrapeTimeout=DURATION,
    honorLabels={"type": "boolean"},
    relabelings={"type": "array", "items": _RELABEL},
    metricRelabelings={"type": "array", "items": _RELABEL},
)
_RULE = _closed(
    ["expr"],
    alert=STRING,
    record=STRING,
    expr=STRING,
    keep_firing_for=STRING,
    labels=LABELS,
    annotations=LABELS,
    **{"for": STRING},
)

# Gateway API v1 HTTPRoute (standard channel): the fields and limits of its CRD the
# chart uses.
_HOSTNAME = {
    "type": "string",
    "maxLength": 253,
    "pattern": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
_PATH_MATCH = _closed(
    [],
    type={"enum": ["Exact", "PathPrefix", "RegularExpression"]},
    value={"type": "string", "maxLength": 1024, "pattern": "^/"},
)
_URL_REWRITE = _closed(
    ["type", "urlRewrite"],
    type={"const": "URLRewrite"},
    urlRewrite=_closed(
        [],
        hostname=_HOSTNAME,
        path=_closed(
            ["type"],
            type={"enum": ["ReplaceFullPath", "ReplacePrefixMatch"]},
            replaceFullPath=STRING,
            replacePrefixMatch={"type": "string", "maxLength": 1024, "pattern": "^/"},
        ),
    ),
)
_HTTP_ROUTE = _closed(
    [],
    parentRefs={
        "type": "array",
        "maxItems": 32,
        "items": _closed(
            ["name"],
            group=STRING,
            kind=STRING,
            namespace=STRING,
            name={"type": "string", "minLength": 1, "maxLength": 253},
            sectionName=STRING,
            port=_PORT,
        ),
    },
    hostnames={"type": "array", "maxItems": 16, "items": _HOSTNAME},
    rules={
        "type": "array",
        "maxItems": 16,
        "items": _closed(
            [],
            matches={
                "type": "array",
                "maxItems": 64,
                "items": _closed([], path=_PATH_MATCH),
            },
            filters={"type": "array", "maxItems": 16, "items": _URL_REWRITE},
            backendRefs={
                "type": "array",
                "maxItems": 16,
                "items": _closed(
                    ["name", "port"],
                    name={"type": "string", "minLength": 1, "maxLength": 253},
                    port=_PORT,
                    weight={"type": "integer", "minimum": 0, "maximum": 1000000},
                ),
            },
        ),
    },
)

SCHEMAS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): _resource(
        "gateway.networking.k8s.io/v1", "HTTPRoute", _HTTP_ROUTE
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): _resource(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        _closed(
            ["selector", "endpoints"],
            selector=_LABEL_SELECTOR,
            namespaceSelector=_closed([], matchNames={"type": "array", "items": STRING}),
            endpoints={"type": "array", "minItems": 1, "items": _ENDPOINT},
            jobLabel=STRING,
            targetLabels={"type": "array", "items": STRING},
        ),
    ),
    ("monitoring.coreos.com/v1", "PrometheusRule"): _resource(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        _closed(
            ["groups"],
            groups={
                "type": "array",
                "items": _closed(
                    ["name", "rules"],
                    name=STRING,
                    interval=STRING,
                    limit=INT,
                    rules={"type": "array", "items": _RULE},
                ),
            },
        ),
    ),
    ("keda.sh/v1alpha1", "ScaledObject"): _resource(
        "keda.sh/v1alpha1",
        "ScaledObject",
        _closed(
            ["scaleTargetRef", "triggers"],
            scaleTargetRef=_closed(["name"], apiVersion=STRING, kind=STRING, name=STRING),
            pollingInterval=INT,
            cooldownPeriod=INT,
            minReplicaCount=INT,
            maxReplicaCount=INT,
            triggers={
                "type": "array",
                "minItems": 1,
                "items": _closed(
                    ["type", "metadata"],
                    type=STRING,
                    name=STRING,
                    metricType={"enum": ["AverageValue", "Value", "Utilization"]},
                    metadata=LABELS,  # KEDA trigger metadata values are strings
                    authenticationRef=_closed(["name"], name=STRING, kind=STRING),
                ),
            },
        ),
    ),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): _resource(
        "keda.sh/v1alpha1",
        "TriggerAuthentication",
        _closed(
            [],
            env={
                "type": "array",
                "items": _closed(
                    ["parameter", "name"], parameter=STRING, name=STRING, containerName=STRING
                ),
            },
            secretTargetRef={
                "type": "array",
                "items": _closed(
                    ["parameter", "name", "key"], parameter=STRING, name=STRING, key=STRING
                ),
            },
        ),
    ),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): _resource(
        "kafka.strimzi.io/v1beta2",
        "KafkaTopic",
        _closed(
            [],
            topicName=STRING,
            partitions={"type": "integer", "minimum": 1},
            replicas={"type": "integer", "minimum": 1, "maximum": 32767},
            config={"type": "object"},
        ),
    ),
}

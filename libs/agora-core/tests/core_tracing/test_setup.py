"""Tracing configured from OTEL_* variables: off by default, exporters on demand."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBasedTraceIdRatio

from agora_core.tracing import TracingConfigError
from agora_core.tracing.setup import build_provider

pytestmark = pytest.mark.unit


def test_off_by_default_ids_without_recording_or_exporting() -> None:
    setup = build_provider("notes", {})
    assert setup.provider is not None
    assert setup.exporters == ()
    assert setup.provider.sampler is ALWAYS_OFF
    assert setup.provider.resource.attributes["service.name"] == "agora-notes"
    setup.shutdown()


def test_sdk_disabled_installs_nothing() -> None:
    setup = build_provider("notes", {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    assert setup.provider is None
    assert not setup.exporting


def test_otlp_with_a_ratio_sampler_and_a_service_name() -> None:
    setup = build_provider(
        "notes",
        {
            "OTEL_TRACES_EXPORTER": "otlp,console",
            "OTEL_SERVICE_NAME": "notes-eu",
        },
    )
    assert setup.exporters == ("otlp", "console")
    assert setup.provider is not None
    assert setup.provider.resource.attributes["service.name"] == "notes-eu"
    setup.shutdown()


def test_the_sampler_comes_from_the_standard_variables() -> None:
    setup = build_provider(
        "notes",
        {
            "OTEL_TRACES_EXPORTER": "console",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
    )
    assert setup.provider is not None
    sampler = setup.provider.sampler
    assert isinstance(sampler, ParentBasedTraceIdRatio)
    assert "0.1" in str(sampler.get_description())  # type: ignore[no-untyped-call]
    setup.shutdown()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"}, "SAMPLER"),
        (
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_TRACES_SAMPLER": "traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "10%",
            },
            "OTEL_TRACES_SAMPLER_ARG",
        ),
    ],
)
def test_an_unusable_variable_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(TracingConfigError, match=named):
        build_provider("notes", environ)

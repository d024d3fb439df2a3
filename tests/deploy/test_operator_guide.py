"""docs/operator-guide.md: the generated configuration reference is fresh and complete."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest

from .layout import ROOT, SERVICES

pytestmark = pytest.mark.deploy

GUIDE = ROOT / "docs" / "operator-guide.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_reference", ROOT / "tools" / "settings_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_is_fresh() -> None:
    tool = generator()
    current = GUIDE.read_text()
    assert current == tool.with_reference(current, tool.render()), (
        "docs/operator-guide.md is stale: run python tools/settings_reference.py --write"
    )


def test_reference_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_CATALOG_GRPC_PORT", "54321")
    monkeypatch.setenv("AGORA_COMMUNITY_OUTBOX_BATCH_SIZE", "777")
    rendered = generator().render()
    assert "54321" not in rendered
    assert "777" not in rendered


def test_every_variable_is_in_the_guide() -> None:
    text = GUIDE.read_text()
    for spec in SERVICES:
        for field in spec.settings.model_fields:
            own = f"`{spec.env_prefix}{field.upper()}`"
            shared = f"`AGORA_<SERVICE>_{field.upper()}`"
            assert own in text or shared in text, f"{spec.env_prefix}{field.upper()}"


def test_no_meaning_is_kept_for_a_setting_that_is_gone() -> None:
    fields = {f for spec in SERVICES for f in spec.settings.model_fields}
    assert set(generator().MEANINGS) <= fields


def test_a_setting_without_meaning_is_refused() -> None:
    tool = generator()

    class Extra(SERVICES[0].settings):  # type: ignore[misc]
        undocumented_knob: int = 3

    with pytest.raises(LookupError, match="undocumented_knob"):
        tool.meaning(Extra, "undocumented_knob")


def test_relative_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", GUIDE.read_text()):
        if "://" not in target:
            assert (GUIDE.parent / target).exists(), target

"""The web app's size budget: the JavaScript a first visit loads (the entry chunk and
what index.html preloads) stays within 200 kB gzipped (issue 21). A size, not a speed:
it holds on any machine."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from agora_platform.web import build_web

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
INITIAL_JS_BUDGET_BYTES = 200 * 1024


def initial_scripts(dist: Path) -> list[Path]:
    html = (dist / "index.html").read_text()
    sources = re.findall(
        r'<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"', html
    )
    return [dist / source.removeprefix("./").removeprefix("/") for source in sources]


def test_the_initial_javascript_is_within_200_kb_gzipped() -> None:
    dist = build_web(ROOT)
    scripts = initial_scripts(dist)
    assert scripts, "index.html loads no script"
    sizes = {p.name: len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in scripts}
    assert sum(sizes.values()) <= INITIAL_JS_BUDGET_BYTES, sizes

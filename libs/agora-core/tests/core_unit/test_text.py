"""User text is made safe on write: no script, no raw HTML, no unsafe link schemes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from agora_core.text import (
    PlainText,
    fold,
    plain_excerpt,
    plain_text,
    render_markdown,
    sanitize_markdown,
)

pytestmark = pytest.mark.unit

ATTACKS = [
    "<script>alert(1)</script>hello",
    "&lt;script&gt;alert(1)&lt;/script&gt;hello",
    '<img src=x onerror="alert(1)">hello',
    "[click](javascript:alert(1)) hello",
    "[click]( JaVaScRiPt:alert(1)) hello",
    "![x](data:text/html;base64,PHNjcmlwdD4=) hello",
    "[ref]: vbscript:msgbox hello",
    "<javascript:alert(1)> hello",
    '<a href="javascript:alert(1)">x</a> hello',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_injections_are_neutralised_in_source_and_html(attack: str) -> None:
    clean = sanitize_markdown(attack)
    rendered = render_markdown(attack)
    for text in (clean.lower(), rendered.lower()):
        assert "<script" not in text
        assert "javascript:" not in text
        assert "vbscript:" not in text
        assert "data:text" not in text
        assert "onerror" not in text
    assert "hello" in clean


def test_markdown_and_safe_links_survive() -> None:
    source = "# Title\n\nSome **bold** and a [link](https://example.org) with a < b.\n"
    assert sanitize_markdown(source) == source
    rendered = render_markdown(source)
    assert "<strong>bold</strong>" in rendered
    assert 'href="https://example.org"' in rendered
    assert "a &lt; b" in rendered


def test_plain_excerpt_is_one_short_line() -> None:
    source = "# Title\n\n" + "word " * 200
    excerpt = plain_excerpt(source, limit=50)
    assert len(excerpt) == 50
    assert excerpt.startswith("Title word")
    assert excerpt.endswith("…")
    assert plain_excerpt("<b>hi</b> there") == "hi there"


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Éducation Numérique") == "education numerique"
    assert fold("STRASSE") == fold("straße")


def test_plain_text_keeps_the_text_and_drops_the_markup() -> None:
    assert plain_text("Joins <b>made</b> easy") == "Joins made easy"
    assert plain_text("a < b & c > d") == "a < b & c > d"
    assert plain_text("<script>alert(1)</script>Title<img src=x onerror=alert(2)>") == "Title"
    assert plain_text("&lt;script&gt;alert(1)&lt;/script&gt;x") == "x"
    assert plain_text("nul\x00byte") == "nulbyte"
    assert "javascript" not in plain_text("[x](javascript:alert(1)) <javascript:alert(2)>")


def test_plain_text_fields_are_cleaned_before_their_limits() -> None:
    class Titled(BaseModel):
        title: PlainText = Field(min_length=1, max_length=20)

    assert Titled(title="<i>Hello</i>").title == "Hello"
    with pytest.raises(ValidationError):
        Titled(title="<script>alert(1)</script>")

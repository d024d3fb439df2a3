"""User-written text: Markdown made safe on write, plain excerpts, search folding.

Several services store Markdown people write (wiki items, comments, answers). It is
sanitised once, on write, so every reader (web, mobile, email, integrators) gets text
that cannot carry script or HTML injection:

- :func:`sanitize_markdown` keeps the Markdown source but removes raw HTML (tags and the
  content of script/style), and replaces link targets with unsafe schemes
  (``javascript:``, ``data:``, ``vbscript:`` …) by ``#``.
- :func:`render_markdown` turns it into HTML with raw HTML disabled, then passes the
  result through an allow-list sanitiser (nh3, the Rust ammonia library) as a second wall.
- :func:`plain_text` (and the pydantic type :data:`PlainText`) strips markup from text
  that is not Markdown (titles, names).
- :func:`plain_excerpt` gives a short plain-text start for events and notifications.
- :func:`fold` lower-cases and strips accents, so "Éducation" matches "education".
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Annotated

import nh3
from markdown_it import MarkdownIt
from pydantic import BeforeValidator

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
        "img", "s", "del",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}

# [text](target  and  ![alt](target  and  [ref]: target
_INLINE_LINK = re.compile(r"(\]\(\s*<?\s*)([A-Za-z][A-Za-z0-9+.\-]*)\s*:[^)\s>]*")
_REFERENCE_LINK = re.compile(r"(?m)^(\s{0,3}\[[^\]]+\]:\s*<?\s*)([A-Za-z][A-Za-z0-9+.\-]*)\s*:\S*")
_AUTOLINK = re.compile(r"<\s*([A-Za-z][A-Za-z0-9+.\-]*)\s*:[^>\s]*>")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _neutralise_link(match: re.Match[str]) -> str:
    if match.group(2).lower() in SAFE_SCHEMES:
        return match.group(0)
    return f"{match.group(1)}#"


def _strip_html(text: str) -> str:
    # Unescaping can reveal tags that were escaped in the source ("&lt;script&gt;"), so
    # strip until nothing changes; a few rounds suffice for any real text.
    for _ in range(5):
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            return cleaned
        text = cleaned
    return html.escape(text)


def sanitize_markdown(source: str) -> str:
    """Markdown without raw HTML and without links of unsafe schemes."""
    text = _strip_html(source.replace("\x00", ""))
    text = _INLINE_LINK.sub(_neutralise_link, text)
    text = _REFERENCE_LINK.sub(_neutralise_link, text)
    return _AUTOLINK.sub(lambda m: m.group(0) if m.group(1).lower() in SAFE_SCHEMES else "", text)


def plain_text(source: str) -> str:
    """User-written plain text (a title, a name, a short description) with any HTML
    markup removed and its text kept, so no reader can be handed executable markup.

    Link syntax with an unsafe scheme is neutralised too, as in Markdown: a client that
    renders a title as Markdown must not get a ``javascript:`` link out of it.
    """
    return sanitize_markdown(source)


def _plain_text_input(value: object) -> object:
    return plain_text(value) if isinstance(value, str) else value


PlainText = Annotated[str, BeforeValidator(_plain_text_input)]
"""A pydantic field type for plain text: cleaned by :func:`plain_text` before its
length constraints are checked (a title of markup alone is then empty, hence refused)."""


def render_markdown(source: str) -> str:
    """Safe HTML for Markdown (raw HTML is never rendered; output passes an allow-list)."""
    rendered = _markdown.render(sanitize_markdown(source))
    return nh3.clean(
        rendered,
        tags=set(_ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="nofollow noopener noreferrer",
    )


def plain_excerpt(source: str, limit: int = 280) -> str:
    """The start of a Markdown text as plain text on one line, at most ``limit`` chars."""
    text = html.unescape(nh3.clean(render_markdown(source), tags=set()))
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a text: ``fold("Éducation") == "education"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))

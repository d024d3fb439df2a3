"""What counts as executable markup in text a service hands back.

Text fields may legitimately contain ``<`` or the word "javascript"; what must never
come back is markup a browser would run: a script-capable element, an event-handler
attribute, or a link/resource whose target uses a script scheme, whether written as
HTML, as a Markdown link, image, reference or autolink, or hidden behind entities.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

SCRIPT_CAPABLE_TAGS = frozenset(
    {
        "script", "iframe", "frame", "object", "embed", "svg", "math", "style", "link",
        "meta", "base", "form", "input", "button", "body", "html", "video", "audio",
        "source", "applet", "template", "xml",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})
_SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|livescript|data\s*:\s*text/html)", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
# Markdown link and image targets, reference definitions and autolinks.
_MARKDOWN_TARGETS = re.compile(
    r"\]\(\s*<?([^)\s>]*)|^\s{0,3}\[[^\]]+\]:\s*<?(\S*)|<([A-Za-z][A-Za-z0-9+.\-]*:[^>\s]*)>",
    re.M,
)


def _decoded(text: str) -> str:
    """Entities resolved until stable ("&amp;lt;" hides "<" behind two rounds)."""
    for _ in range(5):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def script_scheme(target: str) -> bool:
    """The URL (as a browser would read it) runs script."""
    return bool(_SCRIPT_SCHEME.match(_INVISIBLE.sub("", _decoded(target))))


DOCUMENT_TAGS = frozenset({"html", "head", "body", "meta", "title", "style"})
"""The skeleton of a rendered HTML document (an email), written by the template."""


class _Finder(HTMLParser):
    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._allowed = allowed

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SCRIPT_CAPABLE_TAGS and tag not in self._allowed:
            self.found.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= handler on <{tag}>")
            elif name in URL_ATTRIBUTES and value and script_scheme(value):
                self.found.append(f"{name}={value!r} on <{tag}>")
            elif name == "style" and value and "javascript" in _INVISIBLE.sub("", value).lower():
                self.found.append(f"script in style on <{tag}>")

    handle_startendtag = handle_starttag


def executable_markup(text: str, *, document: bool = False) -> list[str]:
    """Every piece of executable markup in ``text`` (empty when it is inert).

    ``document``: ``text`` is a whole rendered HTML document, whose skeleton elements
    are expected; scripts, handlers and script links in it are not.
    """
    found = []
    allowed = DOCUMENT_TAGS if document else frozenset()
    for candidate in {text, _decoded(text)} if not document else {text}:
        finder = _Finder(allowed)
        finder.feed(candidate)
        finder.close()
        found.extend(finder.found)
        for match in _MARKDOWN_TARGETS.finditer(candidate):
            target = next(group for group in match.groups() if group is not None)
            if script_scheme(target):
                found.append(f"markdown link to {target!r}")
    return sorted(set(found))

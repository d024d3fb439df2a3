"""The people directory: display names searched by any word's prefix, accent- and
case-insensitively. Pure values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from agora_core.text import fold


@dataclass(frozen=True)
class Person:
    """A person as the directory shows them (roles only to managers and admins)."""

    person_id: str
    display_name: str
    roles: tuple[str, ...] = ()


def search_key(text: str) -> str:
    """A name or query folded (``"Chloé  PETIT"`` → ``"chloe petit"``)."""
    return " ".join(fold(text).split())


def name_keys(display_name: str) -> list[str]:
    """The keys a name is found by: the folded name from each of its words on
    (``"Chloé Petit"`` → ``["chloe petit", "petit"]``), so "pet" finds her too."""
    words = search_key(display_name).split(" ")
    return list(dict.fromkeys(" ".join(words[i:]) for i in range(len(words)) if words[i]))

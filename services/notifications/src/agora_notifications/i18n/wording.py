"""Wordings declared in code, translated when a text is rendered.

``N_`` and ``NP_`` mark the message ids where they are declared (``make translations``
extracts them into the ``.pot`` with these keywords) and return a :class:`Wording`;
:func:`translate` looks the wording up in a locale's catalog, choosing the plural form
from the count.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Final

EXTRACTION_KEYWORDS: Final = {"N_": None, "NP_": (1, 2)}
"""Babel extraction keywords matching the markers below."""


@dataclass(frozen=True)
class Wording:
    """A message id; with ``plural``, a pair chosen by the number in param ``count``."""

    singular: str
    plural: str | None = None
    count: str = "count"


def N_(message: str) -> Wording:  # noqa: N802 - the gettext convention extractors know
    """A wording without plural forms."""
    return Wording(message)


def NP_(singular: str, plural: str, count: str = "count") -> Wording:  # noqa: N802
    """A wording whose form depends on the number held by the parameter ``count``."""
    return Wording(singular, plural, count)


def translate(wording: Wording, translations: gettext.NullTranslations, count: int = 0) -> str:
    """The wording in the catalog's language (the message id when untranslated)."""
    if wording.plural is None:
        return translations.gettext(wording.singular)
    return translations.ngettext(wording.singular, wording.plural, count)

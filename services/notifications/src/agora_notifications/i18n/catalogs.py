"""The gettext catalogs shipped with the package, and the languages they make supported.

Catalogs are the ``.po`` files under ``agora_notifications/locales/<locale>/LC_MESSAGES/``
(package data, so they are in the wheel). They are read with Babel and compiled in memory
the first time a locale is used: no ``.mo`` file is built or committed, so a catalog
edited in the repository is what runs, from a checkout or from a wheel.

A language is supported when its catalog is present; everything else falls back to
English, the language of the message ids.
"""

from __future__ import annotations

import functools
import gettext
import io
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN: Final = "notifications"
"""The gettext domain: ``<locale>/LC_MESSAGES/notifications.po``."""
SOURCE_LOCALE: Final = "en"
"""The language of the message ids, and the fallback for unsupported locales."""


def locales_directory() -> Traversable:
    """Where the catalogs are, inside the installed package."""
    return resources.files("agora_notifications").joinpath("locales")


def _catalog_file(locale: str) -> Traversable:
    return locales_directory().joinpath(locale, "LC_MESSAGES", f"{DOMAIN}.po")


@functools.cache
def catalog_locales() -> tuple[str, ...]:
    """The locales that have a catalog, sorted (the source locale always among them)."""
    found = {
        entry.name
        for entry in locales_directory().iterdir()
        if entry.is_dir() and _catalog_file(entry.name).is_file()
    }
    return tuple(sorted(found | {SOURCE_LOCALE}))


def negotiate(locale: str) -> str:
    """The supported locale for ``locale``: itself, else its language, else English.

    ``fr-CA`` and ``fr_CA`` are served by ``fr`` until a ``fr_CA`` catalog exists.
    """
    supported = catalog_locales()
    wanted = locale.strip().replace("-", "_")
    if wanted in supported:
        return wanted
    language = wanted.split("_", 1)[0].lower()
    return language if language in supported else SOURCE_LOCALE


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The translations of a supported locale (the message ids themselves otherwise)."""
    if locale not in catalog_locales():
        return gettext.NullTranslations()
    with _catalog_file(locale).open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries are not used (gettext's rule); the catalog test refuses them anyway.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)

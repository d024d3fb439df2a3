"""The unsubscribe pages, in the language the reader's browser asks for.

The link works without logging in, so the page cannot know the person's profile
before the token is applied; it follows ``Accept-Language`` (RFC 9110) among the
locales that have a catalog, English otherwise.
"""

from __future__ import annotations

import html
from typing import Final

from babel.core import negotiate_locale

from agora_notifications.i18n.catalogs import SOURCE_LOCALE, catalog_locales, translations
from agora_notifications.i18n.wording import N_, translate

_QUESTION: Final = N_("Stop these emails?")
_BUTTON: Final = N_("Unsubscribe")
_DONE: Final = N_("You are unsubscribed.")


def preferred_locale(accept_language: str) -> str:
    """The catalog locale best matching an ``Accept-Language`` header."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(weighted)]
    # Each region also asks for its language: "fr-CH" is served by the "fr" catalog.
    preferred += [tag.split("_", 1)[0] for tag in preferred]
    return negotiate_locale(preferred, catalog_locales()) or SOURCE_LOCALE


def _page(locale: str, content: str) -> str:
    lang = locale.replace("_", "-")
    head = '<head><meta charset="utf-8"></head>'
    return f'<!doctype html><html lang="{lang}">{head}<body>{content}</body></html>'


def form_page(token: str, accept_language: str) -> str:
    """The confirmation form (a GET changes nothing: link scanners prefetch)."""
    locale = preferred_locale(accept_language)
    catalog = translations(locale)
    action = html.escape(f"/unsubscribe?token={token}", quote=True)
    return _page(
        locale,
        f"<p>{html.escape(translate(_QUESTION, catalog))}</p>"
        f'<form method="post" action="{action}">'
        f'<button type="submit">{html.escape(translate(_BUTTON, catalog))}</button></form>',
    )


def done_page(accept_language: str) -> str:
    """What the reader sees once the email channel is switched off."""
    locale = preferred_locale(accept_language)
    return _page(locale, f"<p>{html.escape(translate(_DONE, translations(locale)))}</p>")

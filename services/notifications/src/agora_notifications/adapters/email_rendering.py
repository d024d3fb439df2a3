"""Email bodies from jinja2 templates (autoescaped HTML and a text part), en and fr."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import jinja2

from agora_notifications.domain.messages import Text, locale_or_default

_CHROME: Final[dict[str, dict[str, str]]] = {
    "en": {
        "footer": "You receive this email from Agora.",
        "unsubscribe": "Unsubscribe from these emails",
        "unsubscribe_all": "Unsubscribe from all Agora emails",
        "digest_title": "Your Agora digest",
    },
    "fr": {
        "footer": "Vous recevez cet e-mail d'Agora.",
        "unsubscribe": "Se désabonner de ces e-mails",
        "unsubscribe_all": "Se désabonner de tous les e-mails d'Agora",
        "digest_title": "Votre résumé Agora",
    },
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    """Renders the single-notification email and the digest email."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("agora_notifications", "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def single(self, text: Text, locale: str, unsubscribe_url: str) -> RenderedEmail:
        locale = locale_or_default(locale)
        context = {
            "title": text.title,
            "body": text.body,
            "locale": locale,
            "t": _CHROME[locale],
            "unsubscribe_url": unsubscribe_url,
        }
        return RenderedEmail(
            # A header is one line: a title with line breaks (user-written, or from any
            # producer's event) would make the message unbuildable, so it is folded.
            subject=" ".join(text.title.split()),
            text=self._env.get_template("email.txt.j2").render(context),
            html=self._env.get_template("email.html.j2").render(context),
        )

    def digest(self, items: Sequence[Text], locale: str, unsubscribe_url: str) -> RenderedEmail:
        locale = locale_or_default(locale)
        context = {
            "items": [{"title": i.title, "body": i.body} for i in items],
            "locale": locale,
            "t": _CHROME[locale],
            "unsubscribe_url": unsubscribe_url,
        }
        return RenderedEmail(
            subject=f"{_CHROME[locale]['digest_title']} ({len(items)})",
            text=self._env.get_template("digest.txt.j2").render(context),
            html=self._env.get_template("digest.html.j2").render(context),
        )

"""Email bodies from jinja2 templates (autoescaped HTML and a text part), translated.

The templates hold no words: the chrome (footer, unsubscribe links, digest heading and
subject) comes from the gettext catalogs in the recipient's locale, and the digest's
date is the recipient's local day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import jinja2

from agora_notifications.domain.messages import Text, locale_or_default
from agora_notifications.domain.model import DigestMode
from agora_notifications.domain.schedule import zone
from agora_notifications.i18n.catalogs import translations
from agora_notifications.i18n.formatting import format_count, format_day
from agora_notifications.i18n.wording import N_, NP_, Wording, translate

_CHROME: Final[dict[str, Wording]] = {
    "footer": N_("You receive this email from Agora."),
    "unsubscribe": N_("Unsubscribe from these emails"),
    "unsubscribe_all": N_("Unsubscribe from all Agora emails"),
}
_DIGEST_TITLE: Final = N_("Your Agora digest")
_DIGEST_TITLES: Final[dict[DigestMode, Wording]] = {
    # Translators: {date} is the reader's local day the digest is sent, in full.
    DigestMode.DAILY: N_("Your daily Agora digest of {date}"),
    DigestMode.WEEKLY: N_("Your weekly Agora digest of {date}"),
}
_DIGEST_SUBJECT: Final = NP_(
    "Your Agora digest: {count} notification", "Your Agora digest: {count} notifications"
)


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
            "locale": locale.replace("_", "-"),  # the HTML lang attribute is BCP 47
            "t": _chrome(locale),
            "unsubscribe_url": unsubscribe_url,
        }
        return RenderedEmail(
            # A header is one line: a title with line breaks (user-written, or from any
            # producer's event) would make the message unbuildable, so it is folded.
            subject=" ".join(text.title.split()),
            text=self._env.get_template("email.txt.j2").render(context),
            html=self._env.get_template("email.html.j2").render(context),
        )

    def digest(
        self,
        items: Sequence[Text],
        locale: str,
        unsubscribe_url: str,
        *,
        mode: DigestMode | None = None,
        send_at: datetime | None = None,
        time_zone: str = "UTC",
    ) -> RenderedEmail:
        """The digest of ``items``; its heading names the period when ``mode`` and
        ``send_at`` are given (the recipient's local day in ``time_zone``)."""
        locale = locale_or_default(locale)
        catalog = translations(locale)
        chrome = _chrome(locale)
        heading = translate(_DIGEST_TITLE, catalog)
        if mode in _DIGEST_TITLES and send_at is not None:
            day = format_day(send_at, zone(time_zone), locale)
            heading = translate(_DIGEST_TITLES[mode], catalog).format(date=day)
        chrome["digest_title"] = heading
        context = {
            "items": [{"title": i.title, "body": i.body} for i in items],
            "locale": locale.replace("_", "-"),  # the HTML lang attribute is BCP 47
            "t": chrome,
            "unsubscribe_url": unsubscribe_url,
        }
        subject = translate(_DIGEST_SUBJECT, catalog, len(items))
        return RenderedEmail(
            subject=subject.format(count=format_count(len(items), locale)),
            text=self._env.get_template("digest.txt.j2").render(context),
            html=self._env.get_template("digest.html.j2").render(context),
        )


def _chrome(locale: str) -> dict[str, str]:
    catalog = translations(locale)
    return {key: translate(wording, catalog) for key, wording in _CHROME.items()}

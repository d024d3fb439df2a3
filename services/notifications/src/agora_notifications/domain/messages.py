"""The words of each notification, translated through the gettext catalogs.

A notification's title and body are rendered once, in the recipient's locale and time
zone, when it is created: the inbox shows them as stored and emails reuse them. The
wordings below are the message ids (English); their translations are the catalogs in
``agora_notifications/locales`` (see docs/translations.md).

Parameters arrive as strings. Those named in ``_MOMENTS`` hold ISO-8601 date-times and
become the reader's local day and time; those a plural depends on hold integers and
are written with the locale's digit grouping.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from agora_notifications.domain.model import Category
from agora_notifications.domain.schedule import zone
from agora_notifications.i18n.catalogs import negotiate, translations
from agora_notifications.i18n.formatting import (
    format_clock,
    format_count,
    format_day,
    parse_moment,
)
from agora_notifications.i18n.wording import N_, NP_, Wording, translate


@dataclass(frozen=True)
class Text:
    title: str
    body: str


@dataclass(frozen=True)
class Message:
    """A category's title and body; ``body_with`` replaces the body when its param is set."""

    title: Wording
    body: Wording
    body_with: tuple[str, Wording] | None = None


_MESSAGES: Final[dict[Category, Message]] = {
    Category.SUBMISSION_REVIEWED: Message(
        # Translators: {decision} is one of "approved", "changes requested", "rejected".
        N_("Your submission “{title}” was {decision}"),
        N_("{reviewer} reviewed “{title}”: {decision}. {comment}"),
    ),
    Category.REVIEW_REQUESTED: Message(
        N_("“{title}” is waiting for your review"),
        N_("A new version of “{title}” is in your review queue."),
    ),
    Category.ANSWER_POSTED: Message(
        N_("New answer to “{question}”"),
        N_("{author} answered your question: {excerpt}"),
    ),
    Category.COMMENT_POSTED: Message(
        N_("New comment on your content"),
        N_("{author} commented: {excerpt}"),
    ),
    Category.MENTION: Message(N_("{author} mentioned you"), N_("{excerpt}")),
    Category.BADGE_AWARDED: Message(N_("You earned the badge “{badge}”"), N_("Congratulations!")),
    Category.LEVEL_REACHED: Message(
        N_("You reached level {level}: {level_name}"),
        N_("Keep learning to reach the next one."),
    ),
    Category.CHALLENGE_STARTED: Message(
        N_("Challenge “{title}” has started"),
        # Translators: {end_date} is a full date, {end_time} a time, in the reader's zone.
        N_("It ends on {end_date} at {end_time}. Good luck!"),
    ),
    Category.CHALLENGE_WON: Message(N_("You won the challenge “{title}”"), N_("Well done!")),
    Category.ASSIGNMENT_CREATED: Message(
        N_("New assignment: “{title}”"),
        N_("You were assigned “{title}”."),
        body_with=(
            "due_at",
            # Translators: {due_date} is a full date, {due_time} a time, in the reader's zone.
            N_("You were assigned “{title}”, due on {due_date} at {due_time}."),
        ),
    ),
    Category.ASSIGNMENT_DUE_SOON: Message(
        N_("“{title}” is due soon"),
        N_("Your assignment “{title}” is due on {due_date} at {due_time}."),
    ),
    Category.ASSIGNMENT_OVERDUE: Message(
        N_("“{title}” is overdue"),
        N_("Your assignment “{title}” was due on {due_date} at {due_time}."),
    ),
    Category.PATH_COMPLETED: Message(
        N_("You completed the path “{title}”"), N_("Congratulations!")
    ),
    Category.RELAUNCH_REMINDER: Message(
        N_("Pick up “{title}” where you left off"),
        N_("You started “{title}” and have not come back to it for a while."),
    ),
    Category.STALLED_WORK: Message(
        NP_(
            "{count} assignment of your team is stalled",
            "{count} assignments of your team are stalled",
        ),
        # Translators: {items} lists "person: title" pairs separated by semicolons.
        N_("Still not done after the reminders: {items}"),
    ),
    Category.NUDGE: Message(
        N_("A short one for today: “{title}”"),
        NP_(
            "About {minutes} minute, from your learning.",
            "About {minutes} minutes, from your learning.",
            "minutes",
        ),
    ),
}

_DECISIONS: Final[dict[str, Wording]] = {
    "approved": N_("approved"),
    "changes_requested": N_("changes requested"),
    "rejected": N_("rejected"),
}

_MOMENTS: Final[dict[str, tuple[str, str]]] = {
    "due_at": ("due_date", "due_time"),
    "ends_at": ("end_date", "end_time"),
}
"""Date-time param → the placeholders of the reader's local day and time."""


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def locale_or_default(locale: str) -> str:
    """The catalog locale serving ``locale`` (English when no catalog fits)."""
    return negotiate(locale)


def _count(params: Mapping[str, str], name: str) -> int:
    try:
        return int(params.get(name, "0"))
    except ValueError:
        return 0


def render_text(
    category: Category, params: Mapping[str, str], locale: str, *, time_zone: str = "UTC"
) -> Text:
    """Title and body of ``category`` in ``locale`` (English when unsupported).

    Dates and times are those of ``time_zone`` (an IANA name; UTC when unknown).
    """
    locale = locale_or_default(locale)
    catalog = translations(locale)
    values = _Lenient(params)
    if "decision" in params and params["decision"] in _DECISIONS:
        values["decision"] = translate(_DECISIONS[params["decision"]], catalog)
    reader_zone = zone(time_zone)
    for name, (day, clock) in _MOMENTS.items():
        moment = parse_moment(params.get(name, ""))
        if moment is not None:
            values[day] = format_day(moment, reader_zone, locale)
            values[clock] = format_clock(moment, reader_zone, locale)
    message = _MESSAGES[category]
    body = message.body
    if message.body_with is not None and params.get(message.body_with[0]):
        body = message.body_with[1]
    return Text(_fill(message.title, values, catalog, locale), _fill(body, values, catalog, locale))


def _fill(
    wording: Wording, values: _Lenient, catalog: gettext.NullTranslations, locale: str
) -> str:
    count = 0
    if wording.plural is not None:
        count = _count(values, wording.count)
        values = _Lenient({**values, wording.count: format_count(count, locale)})
    return translate(wording, catalog, count).format_map(values).strip()

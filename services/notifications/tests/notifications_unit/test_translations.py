"""Translated texts: plural forms, dates and times in the reader's language and zone,
and catalogs that cover every message the code declares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.catalog import Catalog

from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.messages import Text, locale_or_default, render_text
from agora_notifications.domain.model import SUPPORTED_LOCALES, Category, DigestMode
from agora_notifications.entrypoints.unsubscribe_page import done_page, form_page, preferred_locale
from agora_notifications.i18n import extraction
from agora_notifications.i18n.catalogs import catalog_locales

pytestmark = pytest.mark.unit

# 23:30 UTC on Monday 23 November: already Tuesday in Paris, still Monday in New York.
LATE_MONDAY = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM


@pytest.mark.parametrize(
    ("locale", "count", "title"),
    [
        ("en", 1, "1 assignment of your team is stalled"),
        ("en", 3, "3 assignments of your team are stalled"),
        ("en", 0, "0 assignments of your team are stalled"),
        ("en", 1250, "1,250 assignments of your team are stalled"),
        ("fr", 1, "1 affectation de votre équipe est à l'arrêt"),
        ("fr", 3, "3 affectations de votre équipe sont à l'arrêt"),
        ("fr", 0, "0 affectation de votre équipe est à l'arrêt"),  # French: 0 is singular
        ("fr", 1250, "1\u202f250 affectations de votre équipe sont à l'arrêt"),
    ],
)
def test_counts_choose_the_plural_form_of_the_language(locale: str, count: int, title: str) -> None:
    text = render_text(Category.STALLED_WORK, {"count": str(count), "items": "x"}, locale)
    assert text.title == title


def test_nudge_minutes_and_digest_subjects_are_pluralised() -> None:
    one = {"title": "SQL", "minutes": "1"}
    five = {"title": "SQL", "minutes": "5"}
    assert render_text(Category.NUDGE, one, "en").body == "About 1 minute, from your learning."
    assert render_text(Category.NUDGE, five, "en").body == "About 5 minutes, from your learning."
    assert render_text(Category.NUDGE, one, "fr").body == (
        "Environ 1 minute, tiré de vos apprentissages."
    )
    assert render_text(Category.NUDGE, five, "fr").body == (
        "Environ 5 minutes, tiré de vos apprentissages."
    )
    renderer = EmailRenderer()
    item = Text("t", "b")
    assert renderer.digest([item], "en", "u").subject == "Your Agora digest: 1 notification"
    assert renderer.digest([item] * 3, "en", "u").subject == "Your Agora digest: 3 notifications"
    assert renderer.digest([item], "fr", "u").subject == "Votre résumé Agora : 1 notification"
    assert renderer.digest([item] * 3, "fr", "u").subject == (
        "Votre résumé Agora : 3 notifications"
    )


@pytest.mark.parametrize(
    ("locale", "zone", "body"),
    [
        ("en", NEW_YORK, f"due on Monday, November 23, 2026 at 6:30{NNBSP}PM."),
        ("en", PARIS, f"due on Tuesday, November 24, 2026 at 12:30{NNBSP}AM."),
        ("fr", NEW_YORK, "à terminer pour le lundi 23 novembre 2026 à 18:30."),
        ("fr", PARIS, "à terminer pour le mardi 24 novembre 2026 à 00:30."),
    ],
)
def test_due_dates_are_the_readers_day_and_time_in_their_language(
    locale: str, zone: str, body: str
) -> None:
    params = {"title": "SQL", "due_at": LATE_MONDAY.isoformat()}
    text = render_text(Category.ASSIGNMENT_DUE_SOON, params, locale, time_zone=zone)
    assert text.body.endswith(body), text.body


def test_every_dated_text_uses_the_readers_zone() -> None:
    due = {"title": "SQL", "due_at": LATE_MONDAY.isoformat()}
    ends = {"title": "Sprint", "ends_at": LATE_MONDAY.isoformat()}
    overdue = render_text(Category.ASSIGNMENT_OVERDUE, due, "fr", time_zone=PARIS)
    assert overdue.body == (
        "Votre affectation « SQL » était à terminer pour le mardi 24 novembre 2026 à 00:30."
    )
    created = render_text(Category.ASSIGNMENT_CREATED, due, "en", time_zone=NEW_YORK)
    assert created.body == (
        f"You were assigned “SQL”, due on Monday, November 23, 2026 at 6:30{NNBSP}PM."
    )
    undated = render_text(Category.ASSIGNMENT_CREATED, {"title": "SQL", "due_at": ""}, "fr")
    assert undated.body == "« SQL » vous a été affecté."
    started = render_text(Category.CHALLENGE_STARTED, ends, "fr", time_zone=NEW_YORK)
    assert started.body == "Il se termine le lundi 23 novembre 2026 à 18:30. Bonne chance !"
    # A naive stored time is UTC, whatever the machine's zone; an unknown zone is UTC.
    naive = {"title": "SQL", "due_at": LATE_MONDAY.replace(tzinfo=None).isoformat()}
    in_paris = render_text(Category.ASSIGNMENT_DUE_SOON, naive, "fr", time_zone=PARIS)
    assert in_paris.body.endswith("mardi 24 novembre 2026 à 00:30.")
    nowhere = render_text(Category.ASSIGNMENT_DUE_SOON, due, "fr", time_zone="Mars/Olympus")
    assert nowhere.body.endswith("lundi 23 novembre 2026 à 23:30.")


def test_the_digest_heading_names_the_readers_local_day() -> None:
    renderer = EmailRenderer()
    daily = renderer.digest(
        [Text("t", "b")], "fr", "u", mode=DigestMode.DAILY, send_at=LATE_MONDAY, time_zone=PARIS
    )
    assert daily.text.startswith("Votre résumé Agora quotidien du mardi 24 novembre 2026\n")
    assert '<h1 style="font-size: 1.3em;">Votre résumé Agora quotidien du mardi' in daily.html
    weekly = renderer.digest(
        [Text("t", "b")],
        "en",
        "u",
        mode=DigestMode.WEEKLY,
        send_at=LATE_MONDAY,
        time_zone=NEW_YORK,
    )
    assert weekly.text.startswith("Your weekly Agora digest of Monday, November 23, 2026\n")


def test_supported_locales_are_the_catalogs_present_and_others_fall_back() -> None:
    assert SUPPORTED_LOCALES == catalog_locales() == tuple(extraction.source_locales())
    assert {"en", "fr"} <= set(SUPPORTED_LOCALES)
    assert locale_or_default("fr") == "fr"
    assert locale_or_default("fr-CA") == "fr"  # the language's catalog serves a region
    assert locale_or_default("de") == "en"
    assert locale_or_default("") == "en"
    assert render_text(Category.CHALLENGE_WON, {"title": "T"}, "pt-BR").title == (
        "You won the challenge “T”"
    )


def test_the_committed_catalogs_are_complete_and_the_template_is_current() -> None:
    """Fails when the code declares a wording the .pot lacks (run ``make translations``)
    or a catalog lacks, leaves untranslated or fuzzy a message of the .pot."""
    assert extraction.check_catalogs() == []
    template = extraction.read_catalog(extraction.TEMPLATE)
    declared = extraction.message_ids(extraction.extract_template())
    assert extraction.message_ids(template) == declared
    for locale in SUPPORTED_LOCALES:
        catalog = extraction.read_catalog(extraction.catalog_path(locale), locale)
        assert extraction.message_ids(catalog) >= declared, locale


def test_the_catalog_check_names_each_kind_of_gap() -> None:
    template = Catalog(locale=None)
    template.add("Hello {name}")
    template.add(("{count} file", "{count} files"))
    template.add("Bye")
    template.add("Later")
    catalog = Catalog(locale="fr")
    catalog.add("Hello {name}", "Bonjour {nom}")  # renamed placeholder
    catalog.add(("{count} file", "{count} files"), ("{count} fichier", ""))  # a form missing
    catalog.add("Bye", "Au revoir", flags=["fuzzy"])
    problems = extraction.catalog_problems(template, catalog)
    assert problems == [
        "fr: 'Hello {name}': 'Bonjour {nom}' uses unknown placeholders",
        "fr: ('{count} file', '{count} files') is not translated",
        "fr: 'Bye' is fuzzy",
        "fr: 'Later' is missing",
    ]


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("fr-CH", "fr"),  # a region is served by its language's catalog
        ("de-DE,de;q=0.9,fr;q=0.5", "fr"),  # the best language that has a catalog
        ("en;q=0.4, fr;q=0.7", "fr"),  # quality, not order
        ("fr;q=0, en", "en"),  # q=0 means "not this one"
        ("de, *;q=0.1", "en"),
        ("", "en"),
        ("garbage;;q=x,,", "en"),
    ],
)
def test_the_unsubscribe_page_follows_the_browsers_languages(header: str, locale: str) -> None:
    assert preferred_locale(header) == locale


def test_the_unsubscribe_pages_are_translated_and_escaped() -> None:
    french = form_page("a.b", "fr")
    assert '<html lang="fr">' in french
    assert "Ne plus recevoir ces e-mails ?" in french
    assert '<button type="submit">Se désabonner</button>' in french
    assert 'action="/unsubscribe?token=a.b"' in form_page("a.b", "en")
    assert "&quot;" in form_page('x"y', "en")
    assert "You are unsubscribed." in done_page("")
    assert "Votre désabonnement est effectué." in done_page("fr-CA")

"""Keeping the catalogs in step with the code: ``make translations`` runs this module.

1. extract every ``N_``/``NP_`` wording of the package into ``locales/notifications.pot``;
2. update each ``locales/<locale>/LC_MESSAGES/notifications.po`` from it (new ids are
   added untranslated, removed ones dropped, changed ones marked fuzzy for review);
3. fill the English catalog from the ids themselves (English is the source language).

``--add LOCALE`` starts the catalog of a new language. Nothing is compiled: the service
reads the ``.po`` files (see ``catalogs.py``). This works on a source checkout (it
writes next to the sources), not on an installed wheel.
"""

from __future__ import annotations

import argparse
import io
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from agora_notifications.i18n.catalogs import DOMAIN, SOURCE_LOCALE
from agora_notifications.i18n.wording import EXTRACTION_KEYWORDS

PACKAGE_DIR: Final = Path(__file__).resolve().parents[1]
LOCALES_DIR: Final = PACKAGE_DIR / "locales"
TEMPLATE: Final = LOCALES_DIR / f"{DOMAIN}.pot"
PROJECT: Final = "agora-notifications"


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def source_locales() -> list[str]:
    """The locales with a catalog in the source tree."""
    return sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extract_template() -> Catalog:
    """The message template as the code declares it now."""
    template = Catalog(project=PROJECT, domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR,
        method_map=[("**.py", "python")],
        keywords=EXTRACTION_KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        template.add(
            message,
            locations=[(f"agora_notifications/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def message_ids(catalog: Iterable[Message]) -> set[tuple[str | tuple[str, ...], str | None]]:
    """What must agree between the template and the code: ids, plural ids, contexts."""
    return {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalog if m.id}


def _content(catalog: Catalog) -> list[tuple[object, ...]]:
    return sorted(
        (
            repr(m.id),
            m.context or "",
            tuple(m.auto_comments),
            tuple(sorted({path for path, _ in m.locations})),
        )
        for m in catalog
        if m.id
    )


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalog_problems(template: Catalog, catalog: Catalog) -> list[str]:
    """Why ``catalog`` cannot serve every message of ``template`` (empty when it can).

    Every id must be present, translated in every plural form, not fuzzy, and use the
    same ``{placeholders}`` as its id (a renamed one would render as nothing).
    """
    problems: list[str] = []
    for expected in template:
        if not expected.id:
            continue
        found = catalog.get(expected.id, expected.context)
        label = f"{catalog.locale}: {expected.id!r}"
        if found is None:
            problems.append(f"{label} is missing")
            continue
        strings = [found.string] if isinstance(found.string, str) else list(found.string or ())
        if found.fuzzy:
            problems.append(f"{label} is fuzzy")
        if not strings or not all(strings):
            problems.append(f"{label} is not translated")
        ids = [expected.id] if isinstance(expected.id, str) else list(expected.id)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for text in filter(None, strings):
            if not _placeholders(text) <= wanted:
                problems.append(f"{label}: {text!r} uses unknown placeholders")
    return problems


def _write(path: Path, catalog: Catalog) -> None:
    out = io.BytesIO()
    # No line numbers: moving code does not churn the catalogs, only wording changes do.
    write_po(out, catalog, width=88, include_lineno=False, sort_output=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def _fill_from_ids(catalog: Catalog) -> None:
    """The source language translates each id to itself."""
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            message.string = message.id
        else:
            singular, plural = message.id[0], message.id[1]
            message.string = tuple(
                singular if index == 0 else plural for index in range(catalog.num_plurals)
            )
        message.flags.discard("fuzzy")


def update_catalogs(new_locales: Iterable[str] = ()) -> list[Path]:
    """Write the template and bring every catalog (and any new one) up to date."""
    template = extract_template()
    if TEMPLATE.exists() and _content(read_catalog(TEMPLATE)) == _content(template):
        template = read_catalog(TEMPLATE)  # unchanged: keep its date, rewrite nothing
        written = []
    else:
        _write(TEMPLATE, template)
        written = [TEMPLATE]
    for locale in sorted({*source_locales(), *new_locales, SOURCE_LOCALE}):
        path = catalog_path(locale)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project=PROJECT, fuzzy=False)
        catalog.update(template, update_header_comment=True)
        catalog.obsolete.clear()  # removed ids leave; git keeps their history
        if locale == SOURCE_LOCALE:
            _fill_from_ids(catalog)
        _write(path, catalog)
        written.append(path)
    return written


def check_catalogs() -> list[str]:
    """Everything wrong with the committed catalogs (empty when they are complete)."""
    template = extract_template()
    problems = []
    if _content(template) != _content(read_catalog(TEMPLATE)):
        problems.append(f"{TEMPLATE.name} is out of date with the code: run make translations")
    for locale in source_locales():
        problems += catalog_problems(template, read_catalog(catalog_path(locale), locale))
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--add", action="append", default=[], metavar="LOCALE")
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    arguments = parser.parse_args(argv)
    if arguments.check:
        problems = check_catalogs()
        print("\n".join(problems) or "catalogs complete")
        raise SystemExit(1 if problems else 0)
    for path in update_catalogs(arguments.add):
        print(path.relative_to(PACKAGE_DIR.parent))


if __name__ == "__main__":
    main()

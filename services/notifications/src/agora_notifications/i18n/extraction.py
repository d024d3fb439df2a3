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
    locales = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    for locale in sorted(locales | set(new_locales) | {SOURCE_LOCALE}):
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--add", action="append", default=[], metavar="LOCALE")
    arguments = parser.parse_args(argv)
    for path in update_catalogs(arguments.add):
        print(path.relative_to(PACKAGE_DIR.parent))


if __name__ == "__main__":
    main()

"""Bring the catalogues up to date with the code:
`python scripts/catalogues.py [TRANSLATIONS.json...]`.

Extracts every message (webui/catalogue_sources.py), adds the new ones to each language's
webui/locales/<lang>/LC_MESSAGES/messages.po, drops the ones the code no longer has, and fills
translations given as JSON files of {"French message": {"en": "...", "ar": "..."}}; for a
plural message, the key is the singular and each language gives the list of its forms
(English 2, Arabic 6, in gettext's order). tests/unit/test_catalogues.py fails while a message
has no translation."""

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from webui.catalogue_sources import ROOT, extracted

TARGETS = ("en", "ar")


def po_path(language: str) -> Path:
    return ROOT / "webui" / "locales" / language / "LC_MESSAGES" / "messages.po"


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="coffre")
    with path.open("rb") as source:
        return read_po(source, locale=language)


def main(translation_files: list[str]) -> None:
    template = extracted()
    given: dict[str, dict[str, str | list[str]]] = {}
    for name in translation_files:
        given.update(json.loads(Path(name).read_text(encoding="utf-8")))
    for language in TARGETS:
        catalog = load(language)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            translated = given.get(key, {}).get(language) if key else None
            if translated:
                message.string = tuple(translated) if isinstance(translated, list) else translated
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as target:
            write_po(target, catalog, width=100, no_location=True, sort_output=True)
        missing = sum(1 for m in catalog if m.id and not all(m.string or ("",)))
        print(f"{language}: {len(catalog)} messages, {missing} without translation")


if __name__ == "__main__":
    main(sys.argv[1:])

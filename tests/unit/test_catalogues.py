"""The three languages are complete: every message of the code and the templates has its
English and Arabic translation with the same placeholders, and no template shows text that
is not a message (scripts/catalogues.py brings the catalogues up to date)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webui.catalogue_sources import ROOT, extracted

TEMPLATES = ROOT / "webui" / "templates"
LANGUAGES = ("en", "ar")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
# Jinja comments, translated blocks, expressions and statements: what is left is plain text.
JINJA = re.compile(r"\{#.*?#\}|\{%-?\s*trans\b.*?endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
SHOWN_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
# The product's name is the same in every language.
NOT_WORDS = {"coffre"}


def translations(language: str) -> dict[str, tuple[str, ...]]:
    """Each message's forms (one, or a plural's), by its French singular."""
    path = ROOT / "webui" / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    forms: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if message.id and not message.fuzzy:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            string = message.string
            forms[str(key)] = tuple(string) if isinstance(string, tuple) else (str(string),)
    return forms


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    known = translations(language)
    missing, broken = [], []
    for message in extracted():
        if not message.id:
            continue
        ids = tuple(message.id) if isinstance(message.id, tuple) else (message.id,)
        forms = known.get(str(ids[0]), ())
        if not forms or not all(forms):
            missing.append(ids[0])
            continue
        wanted = set().union(*(placeholders(str(i)) for i in ids))
        # A plural's forms for 0, 1 or 2 may say the number in words, without its placeholder.
        fits = all(placeholders(form) <= wanted for form in forms)
        if not fits or (len(ids) == 1 and placeholders(forms[0]) != wanted):
            broken.append(ids[0])
    assert missing == [], f"{len(missing)} without a translation: run scripts/catalogues.py"
    assert broken == [], "placeholders differ from the French"


class ShownText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        self.pieces += [value or "" for name, value in attrs if name in SHOWN_ATTRIBUTES]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.pieces.append(data)


def untranslated(template: Path) -> list[str]:
    reader = ShownText()
    reader.feed(JINJA.sub(" ", template.read_text(encoding="utf-8")))
    words = (piece.strip() for piece in reader.pieces)
    return [w for w in words if re.search(r"[^\W\d_]", w) and w.lower() not in NOT_WORDS]


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_show_only_messages(template: Path) -> None:
    assert untranslated(template) == []

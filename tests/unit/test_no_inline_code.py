"""The pages' CSP allows scripts and styles from our own files only: no template may hold an
inline script, an event handler attribute, a style element or attribute, or a javascript: link,
which the browser would refuse."""

import re
from importlib.abc import Traversable
from importlib.resources import files

import pytest

TEMPLATES = sorted((files("webui") / "templates").iterdir(), key=lambda path: path.name)
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "javascript: link": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_inline_code(template: Traversable) -> None:
    text = template.read_text(encoding="utf-8")
    found = [kind for kind, pattern in INLINE.items() if pattern.search(text)]
    assert found == []


def test_api_docs_page_has_no_inline_code() -> None:
    from webui.api_docs import page_html

    html = page_html("/openapi.json")
    assert [kind for kind, pattern in INLINE.items() if pattern.search(html)] == []
    assert html.count("<script src=") == 2

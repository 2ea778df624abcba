"""Reading a page back as a browser would: what its forms hold, and where the error summary
points. Tests use it to check that a refused form keeps what was typed."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_TYPES = {"text", "date", "email", "tel", "number", "search", "url", "hidden", ""}


@dataclass
class Shown:
    """The page's fields: `values` by id (an input's value, a select's chosen option);
    `named`, the same by name (hidden fields have no id); `checked`, (name, value) of ticked
    boxes; `secrets`, the value of every password and file input; every id; the targets of the
    error summary's links; the forms' actions."""

    values: dict[str, str] = field(default_factory=dict)
    named: dict[str, str] = field(default_factory=dict)
    checked: set[tuple[str, str]] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    summary_links: list[str] = field(default_factory=list)
    form_actions: list[str] = field(default_factory=list)

    def summary_points_to(self, field_id: str) -> None:
        assert field_id in self.summary_links, (field_id, self.summary_links)
        missing = [target for target in self.summary_links if target not in self.ids]
        assert missing == [], f"the error summary links to no field: {missing}"


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.shown = Shown()
        self._select: str | None = None
        self._in_summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if "id" in a:
            self.shown.ids.add(a["id"])
        if tag == "div" and "error-summary" in a.get("class", "").split():
            self._in_summary = 1
        elif tag == "div" and self._in_summary:
            self._in_summary += 1
        if tag == "a" and self._in_summary and a.get("href", "").startswith("#"):
            self.shown.summary_links.append(a["href"][1:])
        if tag == "form":
            self.shown.form_actions.append(a.get("action", ""))
        if tag == "input":
            self._input(a)
        if tag == "select":
            self._select = a.get("id") or a.get("name", "")
        if tag == "option" and self._select is not None and "selected" in a:
            self.shown.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "div" and self._in_summary:
            self._in_summary -= 1

    def _input(self, a: dict[str, str]) -> None:
        kind = a.get("type", "").lower()
        if kind in {"password", "file"}:
            self.shown.secrets.append(a.get("value", ""))
        elif kind in {"checkbox", "radio"}:
            if "checked" in a:
                self.shown.checked.add((a.get("name", ""), a.get("value", "on")))
        elif kind in TEXT_TYPES:
            if "id" in a:
                self.shown.values[a["id"]] = a.get("value", "")
            if "name" in a:
                self.shown.named[a["name"]] = a.get("value", "")


def shown(html: str) -> Shown:
    reader = _Reader()
    reader.feed(html)
    return reader.shown

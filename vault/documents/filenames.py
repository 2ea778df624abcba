"""The name a paper's file is kept and served under.

It is the person's own name for it, given by their browser or their software, so it is only
a label: never a path, never a way to disguise the file. It is cleaned as every line a person
types (vault/text.py: control characters and invisible format characters go, the bidi overrides
among them: « facture », U+202E, « fdp.exe » reads « factureexe.pdf »), and the extension is
the one of the type the content was recognised as, whatever the name said (« x.pdf » holding a
PNG is « x.png »)."""

import re
from pathlib import PurePosixPath, PureWindowsPath

from vault.text import typed_line

MAX_NAME = 255
# The first is the one given to a name that has none of them.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def kept_name(sent: str | None, content_type: str) -> str | None:
    """The name to keep for a file sent as `sent`, whose content is `content_type`; None
    when nothing of it is left."""
    if not sent:
        return None
    name = typed_line(PureWindowsPath(PurePosixPath(sent).name).name).rstrip(". ")
    own = EXTENSIONS.get(content_type, ())
    suffix = _SUFFIX.search(name)
    stem = name[: suffix.start()] if suffix else name
    if suffix and suffix.group().lower() not in own:
        suffix = None
    stem = stem.strip(". ")
    if not stem:
        return None
    if suffix is None:
        lowered = stem.lower()
        kept = next((e for e in own if lowered.endswith(e) and len(stem) > len(e)), None)
        if kept is not None:
            stem, extension = stem[: -len(kept)], stem[-len(kept) :]
        else:
            extension = own[0] if own else ""
    else:
        extension = suffix.group()
    return stem[: MAX_NAME - len(extension)].rstrip(". ") + extension


def download_name(filename: str | None, content_type: str) -> str:
    """The name a download is offered under: the kept name, cleaned again (names kept before
    this rule are served by it too), or « document » of the right type."""
    own = EXTENSIONS.get(content_type, ("",))
    return kept_name(filename, content_type) or "document" + own[0]

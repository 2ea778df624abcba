"""A professional's search for a person's name, carried in the page's address without the name
in it. A browser keeps every address in its history and offers it to the next person who types
in the address bar; « /personnes?q=amina » would tell them whom this professional helps. The
words are sealed under a key derived from the session's own token, which only the browser holds
(the database keeps its hash): the address reads back while the session lasts, and never once
it has ended."""

import base64
import binascii

from keys.errors import IntegrityError
from keys.wrap import derive_subkey, open_text, seal_text

_AAD = b"coffre/people-search/v1"


def hide_search(session_token: str, words: str) -> str:
    sealed = seal_text(_key(session_token), words, _AAD)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def read_search(session_token: str, hidden: str) -> str | None:
    """The words, or None when the address was made in another session or altered."""
    try:
        sealed = base64.urlsafe_b64decode(hidden + "=" * (-len(hidden) % 4))
        return open_text(_key(session_token), sealed, _AAD)
    except (IntegrityError, binascii.Error, ValueError):
        return None


def _key(session_token: str) -> bytes:
    return derive_subkey(session_token.encode(), "people-search")

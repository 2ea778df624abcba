"""The settings a coffre holding real people's papers must not run with.

With COFFRE_ENV=production the app refuses to start on any of them; `coffre check` lists them
whatever COFFRE_ENV says. Each finding is one line for the operator: what is wrong, how to fix it.

The embedded default (SQLite and a local folder) is not refused: one machine with SQLite serves
a small association well. Several instances need PostgreSQL, and `coffre serve --workers N`
already refuses SQLite.
"""

import stat
from pathlib import Path
from urllib.parse import unquote, urlparse

from vault.config import Settings


def findings(settings: Settings) -> list[str]:
    return [
        *_keyring_findings(settings),
        *_signup_findings(settings),
        *_address_findings(settings),
    ]


def _keyring_file(settings: Settings) -> Path | None:
    """The local keyring's file; None for a KMS (it keeps its keys itself)."""
    parsed = urlparse(settings.resolved_keyring())
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path)).resolve()


def _keyring_findings(settings: Settings) -> list[str]:
    path = _keyring_file(settings)
    if path is None:
        return []
    found = []
    if path.is_relative_to(settings.data_dir.resolve()):
        found.append(
            f"The keyring {path} is inside the data folder {settings.data_dir}: whoever copies "
            "the data (a backup, a stolen disk) gets the keys that open it. Move it to a "
            "folder of its own and set COFFRE_KEYRING=file:///that/folder/keyring.json, or use "
            "a KMS (COFFRE_KEYRING=kms://...)."
        )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return found
    if stat.S_IMODE(mode) & 0o077:
        found.append(
            f"The keyring {path} is open to other users of this machine: run chmod 600 {path}."
        )
    return found


def _signup_findings(settings: Settings) -> list[str]:
    if settings.allow_signup and not settings.operator_contact.strip():
        return [
            "Anyone may open a safe (COFFRE_ALLOW_SIGNUP is on) but nobody can be reached about "
            "it: set COFFRE_OPERATOR_CONTACT (an email, a phone), or set "
            "COFFRE_ALLOW_SIGNUP=false."
        ]
    return []


def _address_findings(settings: Settings) -> list[str]:
    # `coffre serve` speaks plain HTTP: in production a reverse proxy in front of it speaks
    # HTTPS, so the public address is https://, and that proxy must be trusted for each
    # person's own address to be seen (the throttle and the journal go by it).
    if not settings.public_url.startswith("https://"):
        return [
            "COFFRE_PUBLIC_URL is not an https:// address: set it to the address people use "
            "(https://coffre.example.org), served by a reverse proxy that speaks HTTPS "
            "(coffre serve speaks plain HTTP)."
        ]
    if not settings.trusted_proxy_networks():
        return [
            "coffre is behind a reverse proxy (COFFRE_PUBLIC_URL is https://) but "
            "COFFRE_TRUSTED_PROXIES is empty: every person would seem to come from the proxy's "
            "address and share one sign-in throttle. Set it to the proxy's address or network."
        ]
    return []

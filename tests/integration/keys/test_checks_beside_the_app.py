"""On the embedded default (SQLite) one process at a time may write: `coffre keys verify` (every
blob read and decrypted, minutes for a few GB) and `coffre audit verify` (the whole journal)
only read, and leave the write lock to the running `coffre serve` throughout; inside a
writing transaction, every sign-in and upload waited 30 s, then failed « database is
locked »."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.app_fixtures import sign_up
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.runtime import Runtime
from webui.app import create_app
from webui.cli import audit as audit_command
from webui.cli import keys as keys_command
from webui.cli import shared as cli_shared


def app_can_write(rt: Runtime) -> bool:
    """What each request of a running `coffre serve` does first on SQLite: take the lock."""
    path = make_url(str(rt.engine.url)).database
    connection = sqlite3.connect(str(path), timeout=0.2, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


class WatchedStore:
    """The blob store, looking whether the app could write while each blob is read."""

    def __init__(self, rt: Runtime) -> None:
        self.rt, self.inner, self.seen = rt, rt.store, list[bool]()

    def get(self, name: str) -> Iterator[bytes]:
        self.seen.append(app_can_write(self.rt))
        return self.inner.get(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_keys_verify_leaves_the_app_its_writes(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with TestClient(create_app_for(rt), base_url="http://coffre.test") as client:
        assert upload(client, sign_up(client, "amina"), pdf("quittance")).status_code == 201
    assert app_can_write(rt)  # nothing else holds the lock
    watched = WatchedStore(rt)
    monkeypatch.setattr(rt, "store", watched)
    monkeypatch.setattr(cli_shared, "runtime", lambda: rt)
    keys_command.keys_verify()
    assert watched.seen
    assert all(watched.seen), watched.seen


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_audit_verify_leaves_the_app_its_writes(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app_for(rt), base_url="http://coffre.test") as client:
        sign_up(client, "amina")
    import vault.audit.journal as journal

    assert app_can_write(rt)  # nothing else holds the lock
    seen: list[bool] = []
    original = journal._digest

    def watched_digest(*args: object) -> object:
        seen.append(app_can_write(rt))
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(journal, "_digest", watched_digest)
    monkeypatch.setattr(cli_shared, "runtime", lambda: rt)
    audit_command.audit_verify()
    assert seen
    assert all(seen), seen


def create_app_for(rt: Runtime) -> FastAPI:
    return create_app(runtime=rt)

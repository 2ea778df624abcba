"""The sweep removes the objects no row names once older than its grace period (vault.sweeper).
Review finding: an upload whose form ended long after its file began to be stored (a phone
sending slowly, a client that stalls after the file) recorded a paper whose object the sweep
could have removed meanwhile: a paper without its file. Past half of the grace period the
object is looked for before a row names it; gone, the upload is refused and nothing is kept."""

import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.runtime import Runtime
from vault.sweeper import sweep_orphans


def test_an_upload_whose_file_was_swept_meanwhile_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.orphan_grace_minutes = 0  # any upload is then past half of it
    real_put = rt.store.put

    def put_then_sweep(name: str, chunks: Iterable[bytes]) -> int:
        written = real_put(name, chunks)
        with transaction(rt.sessions) as db:
            # The upload's object is the store's only one: forced past the guard against the
            # database of another store.
            assert sweep_orphans(db, rt.store, timedelta(0), force=True) == 1
        return written

    rt.store.put = put_then_sweep  # type: ignore[method-assign]
    try:
        answer = upload(client, amina, pdf("carte"))
    finally:
        rt.store.put = real_put  # type: ignore[method-assign]
    assert answer.status_code == 422, answer.text
    assert "L'envoi a pris trop de temps. Envoyez le fichier à nouveau." in answer.text
    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json() == []


def test_a_slow_upload_whose_file_is_there_is_kept(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.orphan_grace_minutes = 0
    paper = pdf("carte")
    answer = upload(client, amina, paper)
    assert answer.status_code == 201, answer.text
    url = f"/api/v1/documents/{answer.json()['id']}/content"
    assert client.get(url, headers=amina["headers"]).content == paper


@pytest.mark.parametrize("slow_step", ["list", "delete"])
def test_a_slow_upload_recorded_while_the_sweep_works_keeps_its_file(
    client: TestClient, rt: Runtime, amina: dict[str, Any], slow_step: str
) -> None:
    """Review finding (PostgreSQL): the sweep read the names the rows give, then listed the
    store; an upload past half of the grace period recorded meanwhile found its object still
    there, was committed and answered 201, and the sweep, with its older list of names, removed
    the object: a paper without its file. Now the sweep reads the names after its listing, and
    the late upload waits for the sweep's removals (or the sweep for its commit): either it is
    refused and nothing is kept, or its file is kept. `slow_step`: the sweep's step that takes
    long while the upload is recorded."""
    rt.settings.orphan_grace_minutes = 0
    real_put, real = rt.store.put, getattr(rt.store, slow_step)
    working = threading.Event()
    swept: list[int] = []

    def slowly(*args: Any) -> Any:
        working.set()
        time.sleep(2)  # the upload's rows, if nothing holds them, are committed meanwhile
        return real(*args)

    def sweep() -> None:
        with transaction(rt.sessions) as db:
            swept.append(sweep_orphans(db, rt.store, timedelta(0), force=True))

    sweeper = threading.Thread(target=sweep)

    def put_then_sweep(name: str, chunks: Iterable[bytes]) -> int:
        written = real_put(name, chunks)
        sweeper.start()
        assert working.wait(timeout=30)
        return written

    rt.store.put = put_then_sweep  # type: ignore[method-assign]
    setattr(rt.store, slow_step, slowly)
    try:
        answer = upload(client, amina, pdf("carte"))
    finally:
        rt.store.put = real_put  # type: ignore[method-assign]
        setattr(rt.store, slow_step, real)
    sweeper.join(timeout=60)
    papers = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    if answer.status_code == 201:
        url = f"/api/v1/documents/{answer.json()['id']}/content"
        assert client.get(url, headers=amina["headers"]).status_code == 200
        assert swept == [0]
    else:
        assert answer.status_code == 422, answer.text
        assert (papers, swept) == ([], [1])

"""A person's key is rotated while their papers are used: a paper, a link's marked copy or a
thumbnail stored while `coffre keys rotate-user` runs stays readable, and a rotation never
destroys a version of the key that a row still needs (it keeps it, and says so, until a later
run moves that row)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from keys.hierarchy import seal_field
from tests.integration.shares.helpers import download, make_share, token_of
from tests.integration.vault.helpers import blob_of
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.keylife.integrity import verify_papers
from vault.keylife.rotation import (
    UserRotation,
    finish_user_rotation,
    rotate_user,
    start_user_rotation,
)
from vault.models import Blob, Document, KeySlot, Share, UserKey
from vault.runtime import Runtime
from webui.cli import app, shared
from webui.cli import keys as cli_keys

pytestmark = pytest.mark.master_keys


@contextmanager
def rotated_after_put(rt: Runtime, person_id: str, nth: int = 1) -> Iterator[list[UserRotation]]:
    """`coffre keys rotate-user` for the person, run whole right after the store has written its
    `nth` object: those bytes are stored, the rows that name their key not yet written."""
    real_put = rt.store.put
    puts: list[str] = []
    rotations: list[UserRotation] = []

    def put_then_rotate(name: str, chunks: Iterable[bytes]) -> int:
        written = real_put(name, chunks)
        puts.append(name)
        if len(puts) == nth:
            rotations.append(rotate_user(rt, person_id, 10, lambda _done: None))
        return written

    rt.store.put = put_then_rotate  # type: ignore[method-assign]
    try:
        yield rotations
    finally:
        rt.store.put = real_put  # type: ignore[method-assign]


def verify_failures(rt: Runtime) -> list[str]:
    with transaction(rt.sessions) as db:
        return [f.problem for check in verify_papers(db, rt) for f in check.failures]


def key_states(rt: Runtime, person_id: str) -> dict[int, tuple[str, int]]:
    """Each version of the person's key: its state and how many slots still hold it."""
    with transaction(rt.sessions) as db:
        keys = db.scalars(select(UserKey).where(UserKey.person_id == person_id)).all()
        return {
            key.version: (
                key.state,
                len(db.scalars(select(KeySlot.id).where(KeySlot.user_key_id == key.id)).all()),
            )
            for key in keys
        }


def versions_used(rt: Runtime) -> set[int]:
    """The key versions the papers, blobs and links name."""
    with transaction(rt.sessions) as db:
        return {
            version
            for model in (Document, Blob, Share)
            for version in db.scalars(
                select(UserKey.version).join(model, model.user_key_id == UserKey.id)
            )
        }


def test_a_paper_uploaded_during_a_user_rotation_stays_readable(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf("carte")
    with rotated_after_put(rt, amina["user"]["id"]) as rotations:
        created = upload(client, amina, paper)
    assert created.status_code == 201, created.text
    assert rotations == [UserRotation(moved=0, left=0)]
    content = client.get(
        f"/api/v1/documents/{created.json()['id']}/content", headers=amina["headers"]
    )
    assert content.status_code == 200
    assert content.content == paper
    assert verify_failures(rt) == []
    assert key_states(rt, amina["user"]["id"]) == {1: ("destroyed", 0), 2: ("active", 1)}
    assert versions_used(rt) == {2}


def test_a_thumbnail_made_during_a_user_rotation_opens(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    # The paper is recorded, then its thumbnail drawn and stored (the second object): the
    # rotation runs before the thumbnail's row is written.
    with rotated_after_put(rt, amina["user"]["id"], nth=2) as rotations:
        document_id = upload(client, amina, pdf("carte")).json()["id"]
    assert len(rotations) == 1
    thumbnail = client.get(f"/api/v1/documents/{document_id}/thumbnail", headers=amina["headers"])
    assert thumbnail.status_code == 200
    assert verify_failures(rt) == []
    assert versions_used(rt) == {2}


def test_a_link_made_during_a_user_rotation_stays_usable(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    with rotated_after_put(rt, amina["user"]["id"]) as rotations:
        created = make_share(client, amina, document_id)
    assert created.status_code == 201, created.text
    assert len(rotations) == 1
    listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert listed.status_code == 200
    assert [s["recipient"] for s in listed.json()] == ["CAF du Loiret"]
    assert client.get("/api/v1/journal", headers=amina["headers"]).status_code == 200
    assert download(client, token_of(created)).status_code == 200
    assert verify_failures(rt) == []
    assert versions_used(rt) == {2}


def test_finishing_keeps_a_version_that_rows_still_need(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf("carte")
    document_id = upload(client, amina, paper).json()["id"]
    person_id = amina["user"]["id"]
    with transaction(rt.sessions) as db:
        target = start_user_rotation(db, rt, person_id)
    # Nothing moved yet (as when another job held the rows): the paper, its original and its
    # thumbnail still need version 1.
    with transaction(rt.sessions) as db:
        left = finish_user_rotation(db, rt, db.get_one(UserKey, target.id))
    assert left == 3
    assert key_states(rt, person_id) == {1: ("active", 1), 2: ("active", 1)}
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.content == paper
    # A later run resumes the same rotation, moves them, and only then destroys version 1.
    assert rotate_user(rt, person_id, 10, lambda _done: None) == UserRotation(moved=3, left=0)
    assert key_states(rt, person_id) == {1: ("destroyed", 0), 2: ("active", 1)}
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.content == paper
    assert verify_failures(rt) == []


def test_rows_another_job_holds_keep_their_version_until_a_rerun(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite runs one writing transaction at a time")
    paper = pdf("carte")
    document_id = upload(client, amina, paper).json()["id"]
    person_id = amina["user"]["id"]
    held = blob_of(rt, document_id).id
    with rt.sessions() as holder, holder.begin():
        # `coffre keys reencrypt` holds the original's row while it copies the paper: the
        # rotation skips it, and so must keep the version that row needs.
        holder.execute(select(Blob.id).where(Blob.id == held).with_for_update())
        rotation = rotate_user(rt, person_id, 10, lambda _done: None)
        assert rotation == UserRotation(moved=2, left=1)
        assert key_states(rt, person_id) == {1: ("active", 1), 2: ("active", 1)}
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.content == paper
    assert rotate_user(rt, person_id, 10, lambda _done: None) == UserRotation(moved=1, left=0)
    assert key_states(rt, person_id) == {1: ("destroyed", 0), 2: ("active", 1)}
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.content == paper
    assert verify_failures(rt) == []


def test_a_title_changed_during_a_user_rotation_stays_readable(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: the change read the paper's key version, the rotation moved the row to
    the next one and destroyed the old one, then the change wrote a title sealed under it: the
    paper no longer opened. The change now holds the paper's row from its read to its commit."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite runs one writing transaction at a time")
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    person_id = amina["user"]["id"]
    rotations: list[UserRotation] = []

    def rotate_then_seal(*args: Any) -> bytes:
        # The whole `coffre keys rotate-user`, between the change's read and its write.
        if not rotations:
            rotations.append(rotate_user(rt, person_id, 10, lambda _done: None))
        return seal_field(*args)

    monkeypatch.setattr("vault.documents.service.seal_field", rotate_then_seal)
    url = f"/api/v1/documents/{document_id}"
    changed = client.patch(url, headers=amina["headers"], json={"title": "Passeport"})
    assert changed.status_code == 200, changed.text
    monkeypatch.undo()
    # The paper's row was held: the rotation moved the rest and kept version 1 for it.
    assert rotations == [UserRotation(moved=2, left=1)]
    assert client.get(url, headers=amina["headers"]).json()["title"] == "Passeport"
    assert verify_failures(rt) == []
    assert rotate_user(rt, person_id, 10, lambda _done: None) == UserRotation(moved=1, left=0)
    assert client.get(url, headers=amina["headers"]).json()["title"] == "Passeport"
    assert verify_failures(rt) == []
    assert versions_used(rt) == {2}


def test_the_command_names_what_it_kept_and_fails(
    rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "runtime", lambda: rt)
    # Another job held one of her rows through every pass (see the test above).
    monkeypatch.setattr(cli_keys, "rotate_user", lambda *_args: UserRotation(moved=2, left=1))
    result = CliRunner().invoke(app, ["keys", "rotate-user", "--login", "amina.diallo"])
    assert result.exit_code == 1
    assert "1 user keys rotated, 2 data keys and texts re-wrapped." in result.output
    assert "The previous key version of 1 of them is kept: 1 rows" in result.output

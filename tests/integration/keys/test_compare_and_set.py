"""A rotation unit writes its whole batch at once (PostgreSQL: one UPDATE ... FROM unnest(arrays);
SQLite: one executemany), and each row only if it still holds what the unit read: a row another
job moved in between is left as that job wrote it, is not counted as done here, and every other
row still rotates. Re-encryption likewise keeps a blob another job switched to a new object."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select, text, update

from keys.hierarchy import seal_user_key
from tests.app_fixtures import sign_up
from tests.integration.keys.test_rotation import add_people, all_papers_open, slots_on
from tests.integration.shares.helpers import make_share
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.keylife.keychain import open_key
from vault.keylife.rotation import reencrypt, rotate_master, rotate_user
from vault.models import Blob, Document, KeySlot, Share, UserKey, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

OTHER_JOB = b"sealed by another job"


def batch_write(rt: Runtime) -> str:
    """How a rotation unit is expected to write its batch on this runtime's database."""
    return "unnest" if rt.engine.dialect.name == "postgresql" else "executemany"


def write_kind(statement: str, executemany: bool) -> str:
    if executemany:
        return "executemany"
    return "unnest" if " FROM unnest(" in statement else "one row"


@contextmanager
def written_meanwhile(
    rt: Runtime, table: str, write: Callable[[Connection], None]
) -> Iterator[list[str]]:
    """Make another job's `write` just before the job's first UPDATE of `table` is sent: on the
    same connection and transaction, so after the unit read its rows (and, on PostgreSQL,
    locked them) and before it writes them back. Yields how that UPDATE was sent (write_kind)."""
    met: list[str] = []

    def before(
        connection: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if not met and statement.startswith(f"UPDATE {table} "):
            met.append(write_kind(statement, executemany))
            write(connection)

    event.listen(rt.engine, "before_cursor_execute", before)
    try:
        yield met
    finally:
        event.remove(rt.engine, "before_cursor_execute", before)


def test_master_rotation_keeps_a_slot_another_job_rewrapped(
    client: TestClient, rt: Runtime
) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, pdf("m")).json()["id"]: pdf("m")}
    add_people(rt, 30)
    person_id = amina["user"]["id"]
    with transaction(rt.sessions) as db:
        user_key = db.scalars(select(UserKey).where(UserKey.person_id == person_id)).one()
        key = open_key(db, rt.master_keys, user_key)
        slot_id = db.scalars(select(KeySlot.id).where(KeySlot.user_key_id == user_key.id)).one()
    theirs: list[bytes] = []

    def rewrap_first(connection: Connection) -> None:
        # What a second rotate-master would write: the same key, under the new primary.
        version, wrapped = seal_user_key(rt.master_keys, person_id, 1, key)
        theirs.append(wrapped)
        connection.execute(
            text("UPDATE key_slots SET master_version = :v, wrapped_key = :w WHERE id = :id"),
            {"v": version, "w": wrapped, "id": slot_id},
        )

    progress: list[int] = []
    with written_meanwhile(rt, "key_slots", rewrap_first) as met:
        done = rotate_master(rt, batch=500, on_progress=progress.append)
    assert met == [batch_write(rt)]  # the batch, in one statement or one executemany
    assert done == sum(progress) == 30  # 31 slots, one rewrapped by the other job
    with transaction(rt.sessions) as db:
        kept = db.execute(
            select(KeySlot.master_version, KeySlot.wrapped_key).where(KeySlot.id == slot_id)
        ).one()
    assert tuple(kept) == (2, theirs[0])
    assert slots_on(rt, 1) == 0
    assert slots_on(rt, 2) == 31
    all_papers_open(client, amina, papers)


def test_workers_rewrap_every_key_exactly_once(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    papers = {upload(client, amina, pdf("w")).json()["id"]: pdf("w")}
    add_people(rt, 59)
    written: list[str] = []
    writers: set[int] = set()

    def before(
        connection: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if not statement.startswith("UPDATE key_slots "):
            return
        assert write_kind(statement, executemany) == batch_write(rt)
        written.extend(
            parameters["c0"] if isinstance(parameters, dict) else (r[0] for r in parameters)
        )
        writers.add(id(connection.connection.dbapi_connection))
        # A slow write, so that the other workers take their batches meanwhile.
        time.sleep(0.02)

    progress: list[int] = []
    event.listen(rt.engine, "before_cursor_execute", before)
    try:
        done = rotate_master(rt, batch=4, on_progress=progress.append, workers=3)
    finally:
        event.remove(rt.engine, "before_cursor_execute", before)
    assert done == sum(progress) == 60
    assert len(written) == len(set(written)) == 60  # each slot sent in one batch only
    # On PostgreSQL the workers each wrote on a connection of their own; SQLite writes one
    # transaction at a time, and has one worker.
    assert len(writers) == 1 if rt.engine.dialect.name == "sqlite" else len(writers) > 1
    assert slots_on(rt, 1) == 0
    assert slots_on(rt, 2) == 60
    all_papers_open(client, amina, papers)


SEALED = {"blobs": "wrapped_data_key", "documents": "title_sealed", "shares": "recipient_sealed"}


@pytest.mark.parametrize("table", sorted(SEALED))
def test_user_rotation_keeps_a_row_another_job_moved(
    client: TestClient, rt: Runtime, table: str
) -> None:
    amina = sign_up(client, "amina.diallo")
    for name in ("a", "b", "c"):
        document_id = upload(client, amina, pdf(name)).json()["id"]
        assert make_share(client, amina, document_id).status_code == 201
    person_id = amina["user"]["id"]
    with transaction(rt.sessions) as db:
        units = sum(db.scalar(select(func.count()).select_from(m)) or 0 for m in (Blob, Document))
        units += db.scalar(select(func.count()).select_from(Share)) or 0
        row_id = db.scalar(text(f"SELECT id FROM {table} ORDER BY id LIMIT 1"))  # noqa: S608
    sealed = SEALED[table]

    def move_first(connection: Connection) -> None:
        # The rotation's new version exists by now: the other job moved this row onto it.
        target = connection.execute(
            text("SELECT id FROM user_keys WHERE person_id = :p AND version = 2"), {"p": person_id}
        ).scalar_one()
        connection.execute(
            text(f"UPDATE {table} SET user_key_id = :k, {sealed} = :s WHERE id = :id"),  # noqa: S608
            {"k": target, "s": OTHER_JOB, "id": row_id},
        )

    progress: list[int] = []
    with written_meanwhile(rt, table, move_first) as met:
        done = rotate_user(rt, person_id, 500, progress.append).moved
    assert met == [batch_write(rt)]  # the batch, in one statement or one executemany
    assert done == sum(progress) == units - 1
    with transaction(rt.sessions) as db:
        target = db.scalars(
            select(UserKey.id).where(UserKey.person_id == person_id, UserKey.version == 2)
        ).one()
        kept = db.execute(
            text(f"SELECT user_key_id, {sealed} FROM {table} WHERE id = :id"),  # noqa: S608
            {"id": row_id},
        ).one()
        assert tuple(kept) == (target, OTHER_JOB)
        for model in (Blob, Document, Share):
            behind = select(func.count()).where(model.user_key_id != target)
            assert db.scalar(behind) == 0


def test_reencrypt_keeps_a_blob_another_job_switched(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    for name in ("a", "b"):
        upload(client, amina, pdf(name))
    with transaction(rt.sessions) as db:
        before = dict(db.execute(select(Blob.id, Blob.object_name).order_by(Blob.id)).all())
    row_id = next(iter(before))

    def switch_first(connection: Connection) -> None:
        # As a re-encryption switches a blob: a new object, stamped now (so it is done).
        switched = {"object_name": "other-job", "created_at": utcnow()}
        connection.execute(update(Blob).where(Blob.id == row_id).values(switched))

    progress: list[int] = []
    with written_meanwhile(rt, "blobs", switch_first) as met:
        done = reencrypt(rt, "amina.diallo", 20, progress.append).done
    assert met == ["one row"]  # one blob at a time
    assert done == sum(progress) == len(before) - 1
    with transaction(rt.sessions) as db:
        after = dict(db.execute(select(Blob.id, Blob.object_name)).all())
    assert after[row_id] == "other-job"
    assert all(after[blob_id] != name for blob_id, name in before.items() if blob_id != row_id)
    # Its new object here is gone; its old one is the other job's to remove; the rest switched.
    stored = {info.name for info in rt.store.list()}
    assert stored == {before[row_id]} | {
        name for blob_id, name in after.items() if blob_id != row_id
    }

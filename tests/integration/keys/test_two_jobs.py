"""Two master rotations at once on PostgreSQL share the work: every user key is re-wrapped exactly
once, by one of them, and nothing is lost. The two jobs are threads of the test, made to overlap
by explicit synchronisation, never by sleeping: each job's first wrap waits for the other's, so
both hold the row locks of a batch at the same time (which only works if each skips the rows the
other has locked: without SKIP LOCKED the second would wait for the first, which waits for it,
and the meeting would time out). A lock the test holds on some rows shows that a job leaves
them to a later run, which resumes the same rotation rather than starting another.

PostgreSQL only: SQLite runs one writing transaction at a time, so two jobs there never overlap
and there is nothing to share.
"""

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.integration.keys.test_rotation import add_people, slots_on
from vault.config import Settings
from vault.db import transaction
from vault.keylife.keychain import MASTER_SLOT, open_key
from vault.keylife.rotation import rotate_master
from vault.models import KeyJob, KeySlot, UserKey
from vault.runtime import Runtime
from vault.wiring import build_runtime

pytestmark = pytest.mark.pg
PEOPLE = 200
MEETING_SECONDS = 30


@pytest.fixture
def pg_rt(tmp_path: Path, pg_migrated_database: str) -> Iterator[Runtime]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        database_url=pg_migrated_database,
    )
    runtime = build_runtime(settings)
    add_people(runtime, PEOPLE)
    yield runtime
    runtime.engine.dispose()


class MeetingKeyring:
    """The real keyring, counting what it wraps; each thread's first wrap waits until every
    thread has come to its own first wrap (each then holds the locks of its first batch)."""

    def __init__(self, inner: Any, parties: int) -> None:
        self.inner = inner
        self.meeting = threading.Barrier(parties)
        self.wrapped: Counter[bytes] = Counter()
        self._count = threading.Lock()
        self._met = threading.local()

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        if not getattr(self._met, "done", False):
            self._met.done = True
            self.meeting.wait(timeout=MEETING_SECONDS)
        with self._count:
            self.wrapped[aad] += 1
        result: tuple[int, bytes] = self.inner.wrap(key, aad)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def run_together(rt: Runtime, jobs: int, batch: int) -> list[int]:
    """`jobs` master rotations at once, each in a thread; the user keys each re-wrapped."""
    done: list[int] = [0] * jobs
    failures: list[BaseException] = []

    def job(n: int) -> None:
        try:
            done[n] = rotate_master(rt, batch=batch, on_progress=lambda _n: None)
        except BaseException as exc:  # the test reports it, not the thread
            failures.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job never ended"
    assert failures == []
    return done


def master_slots(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        return db.scalar(select(func.count()).where(KeySlot.kind == MASTER_SLOT)) or 0


def unfinished_jobs(rt: Runtime) -> list[int | None]:
    with transaction(rt.sessions) as db:
        query = select(KeyJob.target_version).where(
            KeyJob.kind == "master", KeyJob.finished_at.is_(None)
        )
        return list(db.scalars(query))


def test_two_jobs_at_once_rewrap_every_key_exactly_once(pg_rt: Runtime) -> None:
    total = master_slots(pg_rt)
    assert total == PEOPLE
    keyring = MeetingKeyring(pg_rt.master_keys, parties=2)
    pg_rt.master_keys = keyring
    done = run_together(pg_rt, jobs=2, batch=10)
    assert min(done) > 0, done  # both took part (the meeting guarantees it)
    assert sum(done) == total  # every slot written once, by one of the two
    assert len(keyring.wrapped) == total
    assert set(keyring.wrapped.values()) == {1}  # and sealed once: no work done twice
    assert keyring.versions() == [1, 2]  # one new version, agreed by both
    assert slots_on(pg_rt, 1) == 0
    assert slots_on(pg_rt, 2) == total
    assert unfinished_jobs(pg_rt) == []
    assert_every_key_opens(pg_rt)


def test_rows_locked_elsewhere_are_left_then_a_rerun_resumes(pg_rt: Runtime) -> None:
    total = master_slots(pg_rt)
    with pg_rt.sessions() as holder, holder.begin():
        # Another transaction holds some slots (the lock the test holds until it says so).
        held = hold_slots(holder, 15)
        keyring = MeetingKeyring(pg_rt.master_keys, parties=2)
        pg_rt.master_keys = keyring
        done = run_together(pg_rt, jobs=2, batch=10)
        assert min(done) > 0, done
        assert sum(done) == total - len(held)
        assert slots_on(pg_rt, 1) == len(held)
        assert unfinished_jobs(pg_rt) == [2]  # left open for the rows still behind
    pg_rt.master_keys = keyring.inner
    assert rotate_master(pg_rt, batch=10, on_progress=lambda _n: None) == len(held)
    assert pg_rt.master_keys.versions() == [1, 2]  # resumed, no third version
    assert slots_on(pg_rt, 2) == total
    assert unfinished_jobs(pg_rt) == []
    assert_every_key_opens(pg_rt)


def hold_slots(db: Session, count: int) -> list[str]:
    query = (
        select(KeySlot.id)
        .where(KeySlot.kind == MASTER_SLOT)
        .order_by(KeySlot.id)
        .limit(count)
        .with_for_update()
    )
    return list(db.scalars(query))


def assert_every_key_opens(rt: Runtime) -> None:
    """Nothing lost: every user key opens from its re-wrapped slot."""
    with transaction(rt.sessions) as db:
        for user_key in db.scalars(select(UserKey)):
            assert len(open_key(db, rt.master_keys, user_key)) == 32

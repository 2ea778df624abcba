"""Two `coffre serve` processes on one PostgreSQL and one S3 server, each with a data folder of
its own, and people going through both at once: signed in on one, served by the other; a
master rotation started while the other instance serves uploads; two rotations started at once.
Nothing is lost: `coffre keys verify` and `coffre audit verify` pass, every paper downloads
byte for byte from either instance, and neither data folder holds anything.

The master keys are in the KMS when the test set-up offers one (the versions then live in the
KMS: a rotation made through one instance is seen by the other without a restart), else in a
keyring file both instances share (one path outside both data folders).

PostgreSQL + S3 only: the embedded SQLite database and blob folder belong to one machine.
"""

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.integration.faults.live import COFFRE, download, eventually, sign_up, titles, upload
from tests.integration.keys.test_rotation import add_people, slots_on
from tests.integration.stateless.instances import instances
from tests.samples import pdf
from vault.config import Settings
from vault.db import transaction
from vault.keylife.keychain import MASTER_SLOT
from vault.keylife.rotation import MASTER_JOB_START_LOCK
from vault.models import KeySlot, Person, UserKey
from vault.runtime import Runtime
from vault.wiring import build_runtime

pytestmark = [pytest.mark.pg, pytest.mark.s3]
PEOPLE = 4
CROWD = 100  # more user keys, made directly in the database
ROTATED = re.compile(r"Master key version (\d+) is primary; (\d+) user keys re-wrapped\.")
T = TypeVar("T")


@dataclass
class Someone:
    login: str
    headers: dict[str, str]
    papers: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Setup:
    folder: Path
    database_url: str
    storage_url: str
    keyring: str

    def env(self, name: str) -> dict[str, str]:
        """The environment of instance `name` (and of a `coffre` command run beside it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
        env.update(
            COFFRE_DATA_DIR=str(self.data_dir(name)),
            COFFRE_DATABASE_URL=self.database_url,
            COFFRE_STORAGE_URL=self.storage_url,
            COFFRE_KEYRING=self.keyring,
        )
        return env

    def data_dir(self, name: str) -> Path:
        return self.folder / f"data-{name}"


@pytest.fixture
def setup(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database: str, s3_bucket_url: str
) -> Setup:
    if os.environ.get("COFFRE_TEST_KMS_ENDPOINT"):
        keyring = str(request.getfixturevalue("kms_key_url"))
    else:
        keyring = (tmp_path / "keyring" / "keyring.json").as_uri()
    return Setup(tmp_path, pg_database, s3_bucket_url, keyring)


@pytest.fixture
def beside(setup: Setup) -> Iterator[Callable[[], Runtime]]:
    """A runtime of the test's own on the same data, opened once the schema is there."""
    opened: list[Runtime] = []

    def open_one() -> Runtime:
        settings = Settings(
            _env_file=None,
            data_dir=setup.data_dir("test"),
            database_url=setup.database_url,
            storage_url=setup.storage_url,
            keyring=setup.keyring,
        )
        opened.append(build_runtime(settings))
        return opened[-1]

    yield open_one
    for runtime in opened:
        runtime.engine.dispose()


def together(work: Callable[[int], T], count: int) -> list[T]:
    """`work(0)` ... `work(count - 1)` at once, each in a thread; their results."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def start_command(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [COFFRE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(job: subprocess.Popen[str]) -> str:
    out, err = job.communicate(timeout=120)
    assert job.returncode == 0, f"{job.args!r}: {out}{err}"
    return out


def rotated(out: str) -> tuple[int, int]:
    """(the primary version, the user keys this run re-wrapped) of a `rotate-master`."""
    found = ROTATED.search(out)
    assert found, out
    return int(found[1]), int(found[2])


def master_version_of(rt: Runtime, login: str) -> int | None:
    with transaction(rt.sessions) as db:
        return db.scalar(
            select(KeySlot.master_version)
            .join(UserKey, UserKey.id == KeySlot.user_key_id)
            .join(Person, Person.id == UserKey.person_id)
            .where(Person.login == login, KeySlot.kind == MASTER_SLOT)
        )


def hold_slots(db: Session, logins: list[str]) -> list[str]:
    """Lock the master key slots of these people until the transaction ends."""
    query = (
        select(KeySlot.id)
        .join(UserKey, UserKey.id == KeySlot.user_key_id)
        .join(Person, Person.id == UserKey.person_id)
        .where(Person.login.in_(logins), KeySlot.kind == MASTER_SLOT)
        .with_for_update(of=KeySlot)
    )
    return list(db.scalars(query))


def master_slots(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        return db.scalar(select(func.count()).where(KeySlot.kind == MASTER_SLOT)) or 0


def waiting_for_the_start_lock(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        query = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = :lock"
        )
        return db.scalar(query, {"lock": MASTER_JOB_START_LOCK}) or 0


def send(http: httpx.Client, person: Someone, title: str) -> None:
    content = pdf(title, padding=20_000)
    answer = upload(http, person.headers, title, content)
    assert answer.status_code == 201, answer.text
    person.papers[answer.json()["id"]] = content


def all_there(http: httpx.Client, person: Someone) -> None:
    """Every paper of `person` listed and downloaded byte for byte through `http`."""
    assert len(titles(http, person.headers)) == len(person.papers)
    for document_id, content in person.papers.items():
        answer = download(http, person.headers, document_id)
        assert answer.status_code == 200, answer.text
        assert answer.content == content


def test_two_instances_share_everything(setup: Setup, beside: Callable[[], Runtime]) -> None:
    with instances([setup.env("a"), setup.env("b")], setup.folder / "logs") as (a, b):
        with (
            httpx.Client(base_url=a, timeout=60) as on_a,
            httpx.Client(base_url=b, timeout=60) as on_b,
        ):
            rt = beside()
            people = signed_in_on_one_served_by_the_other(on_a, on_b)
            rotation_while_the_other_serves(setup, rt, on_a, on_b, people)
            two_rotations_at_once(setup, rt)
            nothing_lost(setup, on_a, on_b, people)
    for name in ("a", "b"):
        assert list(setup.data_dir(name).iterdir()) == [], f"instance {name} kept local state"


def signed_in_on_one_served_by_the_other(on_a: httpx.Client, on_b: httpx.Client) -> list[Someone]:
    def person(n: int) -> Someone:
        home, other = (on_a, on_b) if n % 2 == 0 else (on_b, on_a)
        login = f"amina.diallo.{n}"
        someone = Someone(login, sign_up(home, login))
        send(home, someone, f"{login} carte")
        all_there(other, someone)  # the session opened on one works on the other
        send(other, someone, f"{login} avis")
        all_there(home, someone)
        return someone

    return together(person, PEOPLE)


def rotation_while_the_other_serves(
    setup: Setup, rt: Runtime, on_a: httpx.Client, on_b: httpx.Client, people: list[Someone]
) -> None:
    """A rotation started through A, held half-way by the test (it locks the people's own key
    slots, which the rotation skips and leaves for later) while B serves their uploads and A
    their downloads; then finished through B."""

    def a_round() -> None:
        together(lambda n: send(on_b, people[n], "pendant la rotation"), PEOPLE)
        together(lambda n: all_there(on_a, people[n]), PEOPLE)

    add_people(rt, CROWD)
    with rt.sessions() as holder, holder.begin():
        held = hold_slots(holder, [person.login for person in people])
        job = start_command(setup.env("a"), "keys", "rotate-master", "--batch", "5")
        a_round()
        version, done = rotated(finished(job))
        assert (version, done) == (2, CROWD)
        # Half-way: version 2 is primary, the people's keys are still under version 1.
        assert slots_on(rt, 1) == len(held) == PEOPLE
    version, done = rotated(finished(start_command(setup.env("b"), "keys", "rotate-master")))
    assert (version, done) == (2, PEOPLE)  # resumed, not a new rotation
    assert slots_on(rt, 1) == 0
    a_round()  # B now opens keys re-wrapped under version 2, made through A

    # B uses the new version for new keys without a restart.
    newcomers: list[Someone] = []

    def newcomer_on_version_2() -> bool:
        login = f"bruno.martin.{len(newcomers)}"
        newcomers.append(Someone(login, sign_up(on_b, login)))
        return master_version_of(rt, login) == 2

    eventually("instance B wraps under the new master version", newcomer_on_version_2)
    for newcomer in newcomers:
        send(on_a, newcomer, f"{newcomer.login} carte")
        all_there(on_b, newcomer)
    people.extend(newcomers)


def two_rotations_at_once(setup: Setup, rt: Runtime) -> None:
    """Both started while the test holds the lock that a rotation's start takes, then let go
    together once both wait for it: one makes version 3, the other joins it."""
    total = master_slots(rt)
    with rt.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:lock)"), {"lock": MASTER_JOB_START_LOCK})
        jobs = [
            start_command(setup.env(name), "keys", "rotate-master", "--batch", "1")
            for name in ("a", "b")
        ]
        eventually("both rotations wait", lambda: waiting_for_the_start_lock(rt) == 2, 60)
        holder.execute(text("SELECT pg_advisory_unlock(:lock)"), {"lock": MASTER_JOB_START_LOCK})
        holder.commit()
    results = [rotated(finished(job)) for job in jobs]
    assert [version for version, _ in results] == [3, 3]
    assert sum(count for _, count in results) == total  # each key re-wrapped once, by one
    assert rt.master_keys.versions() == [1, 2, 3]
    assert slots_on(rt, 2) == 0
    assert slots_on(rt, 3) == total


def nothing_lost(
    setup: Setup, on_a: httpx.Client, on_b: httpx.Client, people: list[Someone]
) -> None:
    checks = [
        start_command(setup.env("b"), *args) for args in (("keys", "verify"), ("audit", "verify"))
    ]
    keys_out, audit_out = (finished(check) for check in checks)
    assert " 0 failed." in keys_out
    assert "the chain is intact" in audit_out

    def check(n: int) -> None:
        all_there(on_a, people[n])
        all_there(on_b, people[n])

    together(check, len(people))
    # A session ended on one instance is ended on the other.
    first = people[0]
    assert on_b.delete("/api/v1/session", headers=first.headers).status_code == 204
    assert on_a.get("/api/v1/vaults/me/documents", headers=first.headers).status_code == 401

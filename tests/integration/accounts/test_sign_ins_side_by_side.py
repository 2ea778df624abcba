"""Sign-ins side by side: the hash runs outside any transaction and waits in a fair, bounded
line; what is written after it (failure counts, journal) stays exact under concurrency."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from tests.app_fixtures import PASSWORD, sign_up
from vault.accounts import passwords
from vault.accounts.passwords import HashQueue
from vault.audit import journal
from vault.db import transaction
from vault.errors import BusyError
from vault.models import JournalEvent, Person, Throttle
from vault.runtime import Runtime


def sign_in(client: TestClient, login: str, password: str) -> Any:
    return client.post("/api/v1/session", json={"login": login, "password": password})


def test_concurrent_wrong_passwords_are_counted_exactly(client: TestClient, rt: Runtime) -> None:
    # Long enough that no block ends during the test: the count is exact, not racy.
    rt.settings.throttle_base_delay_seconds = 600
    sign_up(client, "amina.diallo")
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda _: sign_in(client, "amina.diallo", "pas le bon mot").status_code, range(12)
            )
        )
    # Five free failures, the sixth starts the wait; every later one is refused unchecked,
    # whether it came before the hash or after it.
    assert sorted(answers) == [401] * 6 + [429] * 6
    with transaction(rt.sessions) as db:
        account = db.get_one(Throttle, "login:amina.diallo")
        person_id = db.scalars(select(Person.id).where(Person.login == "amina.diallo")).one()
        failed_lines = db.scalar(
            select(func.count())
            .select_from(JournalEvent)
            .where(
                JournalEvent.subject_id == person_id,
                JournalEvent.action == journal.SIGN_IN_FAILED,
            )
        )
    assert account.failures == 6
    assert failed_lines == 6
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 429


def test_concurrent_right_passwords_all_sign_in(client: TestClient, rt: Runtime) -> None:
    for name in ("amina.diallo", "bruno.martin", "chloe.petit", "dara.sok"):
        sign_up(client, name)
    logins = ["amina.diallo", "bruno.martin", "chloe.petit", "dara.sok"] * 3
    with ThreadPoolExecutor(max_workers=len(logins)) as pool:
        answers = list(pool.map(lambda login: sign_in(client, login, PASSWORD), logins))
    assert [a.status_code for a in answers] == [201] * len(logins)
    with transaction(rt.sessions) as db:
        signed_in = db.scalar(
            select(func.count())
            .select_from(JournalEvent)
            .where(JournalEvent.action == journal.SIGN_IN)
        )
    # Each sign-up signed in once already.
    assert signed_in == 4 + len(logins)


def test_no_connection_is_held_while_the_hash_runs(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client, "amina.diallo")
    held: list[int] = []
    verify = passwords.verify_password

    def watched(password_hash: str | None, password: str) -> bool:
        held.append(rt.engine.pool.checkedout())  # type: ignore[attr-defined]
        return verify(password_hash, password)

    monkeypatch.setattr("vault.accounts.signin.verify_password", watched)
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201
    assert sign_in(client, "amina.diallo", "pas le bon mot").status_code == 401
    assert sign_in(client, "personne.inconnue", PASSWORD).status_code == 401
    assert held == [0, 0, 0]


def test_a_full_line_answers_503_and_counts_nothing(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client, "amina.diallo")
    line = HashQueue(slots=1, waiting=0)
    monkeypatch.setattr(passwords, "_queue", line)
    with line.turn():
        answer = sign_in(client, "amina.diallo", "pas le bon mot")
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) >= 1
    assert "Réessayez" in answer.json()["detail"]
    with transaction(rt.sessions) as db:
        # The sign-up's own count aside (vault.accounts.throttle.count_sign_up).
        failures = select(func.count()).where(Throttle.key.not_like("signup:%"))
        assert db.scalar(failures) == 0
    assert sign_in(client, "amina.diallo", PASSWORD).status_code == 201


def test_a_reader_does_not_wait_for_a_writer(rt: Runtime) -> None:
    with rt.sessions() as writer, rt.readers() as reader:
        writer.execute(text("UPDATE people SET display_name = display_name"))
        start = time.perf_counter()
        assert reader.scalar(select(func.count()).select_from(Person)) == 0
        assert time.perf_counter() - start < 5
        writer.rollback()


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_line_serves_in_arrival_order() -> None:
    line = HashQueue(slots=1, waiting=5)
    served: list[int] = []
    threads = []
    with line.turn():
        for number in range(5):
            thread = threading.Thread(target=lambda n=number: _take_turn(line, served, n))
            thread.start()
            threads.append(thread)
            wait_until(lambda n=number: len(line._waiters) == n + 1)
        with pytest.raises(BusyError) as full:
            with line.turn():
                pytest.fail("a sixth waiter got in")
        assert full.value.retry_after >= 1
    for thread in threads:
        thread.join(timeout=10)
    assert served == [0, 1, 2, 3, 4]


def _take_turn(line: HashQueue, served: list[int], number: int) -> None:
    with line.turn():
        served.append(number)


def test_a_burst_larger_than_the_thread_pool_all_sign_in(client: TestClient, rt: Runtime) -> None:
    # More sign-ins at once than FastAPI's default 40 worker threads: none may wait for a
    # thread while holding the lock the others wait for.
    for number in range(6):
        sign_up(client, f"personne.{number}")
    logins = [f"personne.{number % 6}" for number in range(60)]
    with ThreadPoolExecutor(max_workers=len(logins)) as pool:
        answers = list(pool.map(lambda login: sign_in(client, login, PASSWORD), logins))
    assert [a.status_code for a in answers] == [201] * len(logins)

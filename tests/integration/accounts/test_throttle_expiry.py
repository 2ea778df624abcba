"""Throttle counters do not outlive their window: `coffre storage sweep` removes every counter
with nothing counted for an hour and no wait still running, unknown logins' included."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, sign_up
from vault.accounts import throttle
from vault.db import transaction
from vault.models import Throttle, utcnow
from vault.runtime import Runtime
from webui.cli import shared as cli_shared
from webui.cli import storage as storage_command


def keys(rt: Runtime) -> set[str]:
    with transaction(rt.sessions) as db:
        return set(db.scalars(select(Throttle.key)))


def fail(rt: Runtime, login: str, source: str, when: datetime, times: int = 1) -> None:
    with transaction(rt.sessions) as db:
        attempt = throttle.attempt(db, rt.settings, login=login, source=source)
        for _ in range(times):
            throttle.failed(db, attempt, now=when)


def test_counters_whose_window_is_over_are_removed(rt: Runtime) -> None:
    now = utcnow()
    fail(rt, "personne.inconnue", "198.51.100.1", now - timedelta(hours=2))
    fail(rt, "amina.diallo", "198.51.100.2", now - timedelta(minutes=10))
    with transaction(rt.sessions) as db:
        throttle.count_sign_up(db, rt.settings, "198.51.100.3", now=now - timedelta(hours=3))
        throttle.count_sign_up(db, rt.settings, "198.51.100.4", now=now)
    assert len(keys(rt)) == 6

    with transaction(rt.sessions) as db:
        assert throttle.forget_expired(db, now=now) == 3

    left = keys(rt)
    sign_up = next(key for key in left if key.startswith(throttle.SIGN_UP_PREFIX))
    assert sign_up.endswith(":198.51.100.4")
    assert left == {"login:amina.diallo", "addr:198.51.100.2", sign_up}


def test_a_wait_still_running_is_kept(rt: Runtime) -> None:
    """Nothing counted for an hour but still blocked: the wait goes on (today's ceilings end
    every wait within the hour; the rule does not count on it)."""
    now = utcnow()
    with transaction(rt.sessions) as db:
        db.add(
            Throttle(
                key="login:amina.diallo",
                failures=30,
                last_failure_at=now - timedelta(minutes=61),
                blocked_until=now + timedelta(minutes=5),
            )
        )
    with transaction(rt.sessions) as db:
        assert throttle.forget_expired(db, now=now) == 0
    assert keys(rt) == {"login:amina.diallo"}


def test_the_sweep_command_removes_them(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(rt, "personne.inconnue", "198.51.100.1", utcnow() - timedelta(hours=2))
    monkeypatch.setattr(cli_shared, "runtime", lambda: rt)
    storage_command.storage_sweep()
    assert "2 expired throttle counters removed." in capsys.readouterr().out
    assert keys(rt) == set()


def test_a_count_starts_again_after_an_hour(client: TestClient, rt: Runtime) -> None:
    """Failures older than an hour are forgotten: the next wrong password is a free one again,
    not one more on top of the old count."""
    rt.settings.throttle_base_delay_seconds = 60

    def sign_in(password: str) -> int:
        body = {"login": "amina.diallo", "password": password}
        return client.post("/api/v1/session", json=body).status_code

    sign_up(client, "amina.diallo")
    assert [sign_in("wrong password!") for _ in range(6)] == [401] * 6
    assert sign_in(PASSWORD) == 429

    # An hour and a minute pass.
    with transaction(rt.sessions) as db:
        for row in db.scalars(select(Throttle)):
            row.last_failure_at -= timedelta(minutes=61)
            if row.blocked_until is not None:
                row.blocked_until -= timedelta(minutes=61)
    assert [sign_in("wrong password!") for _ in range(5)] == [401] * 5
    assert sign_in(PASSWORD) == 201

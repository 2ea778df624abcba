"""`coffre keys rotate-user --all` stopped half-way (Ctrl-C, a closed terminal) and run again
goes on where it stopped: it started over, every person already rotated getting yet another
key version and all their rows re-wrapped again (for 300,000 people, a stop at 90% cost a whole
second run). Once everyone had their turn, the next run is a new rotation."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.app_fixtures import sign_up
from vault.db import transaction
from vault.keylife.rotation import UserRotation, rotate_user
from vault.models import UserKey
from vault.runtime import Runtime
from webui.app import create_app
from webui.cli import keys as keys_command
from webui.cli import shared as cli_shared


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_a_second_run_goes_on_where_the_first_stopped(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(runtime=rt), base_url="http://coffre.test") as client:
        for n in range(4):
            sign_up(client, f"person.{n}")
    monkeypatch.setattr(cli_shared, "runtime", lambda: rt)
    real, calls = rotate_user, []

    def stopped_after_two(rt: Runtime, person_id: str, *rest: Any) -> UserRotation:
        calls.append(person_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(rt, person_id, *rest)

    monkeypatch.setattr(keys_command, "rotate_user", stopped_after_two)
    with pytest.raises(KeyboardInterrupt):
        keys_command.keys_rotate_user(login=None, all_people=True, batch=2000)
    monkeypatch.setattr(keys_command, "rotate_user", real)
    keys_command.keys_rotate_user(login=None, all_people=True, batch=2000)

    with transaction(rt.sessions) as db:
        versions = db.execute(
            select(UserKey.person_id, func.max(UserKey.version)).group_by(UserKey.person_id)
        ).all()
    # Each person rotated once in all: version 2, none at 3.
    assert {version for _person, version in versions} == {2}, versions
    keys_command.keys_rotate_user(login=None, all_people=True, batch=2000)
    with transaction(rt.sessions) as db:
        assert set(db.scalars(select(func.max(UserKey.version)).group_by(UserKey.person_id))) == {3}

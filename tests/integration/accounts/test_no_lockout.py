"""Whoever knows a login (logins are not secret: the login suggestion and sign-up's 409 show
them) can keep the account's wait going from a few addresses, at the cost of a wrong password
every few minutes: a person on a library computer (no device cookie) then cannot sign in
with her password. Her recovery codes are counted per address only, so they still let her in,
and a right one ends the account's wait."""

from contextlib import ExitStack
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD
from vault.accounts import throttle
from vault.models import utcnow
from vault.runtime import Runtime
from webui.app import create_app

WRONG = "pas le bon mot de passe"
TICK = 10  # seconds of the simulated clock between two rounds of the attacker
HOURS = 2


def _client(stack: ExitStack, rt: Runtime, address: str) -> TestClient:
    return stack.enter_context(
        TestClient(create_app(runtime=rt), base_url="http://coffre.test", client=(address, 1))
    )


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_three_addresses_do_not_keep_a_person_out_for_hours(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = utcnow()
    clock = [start]
    monkeypatch.setattr(throttle, "utcnow", lambda: clock[0])
    with ExitStack() as stack:
        library = _client(stack, rt, "203.0.113.7")  # the person, on a library computer
        created = library.post(
            "/api/v1/beneficiaries",
            json={"login": "amina.diallo", "display_name": "Amina Diallo", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        codes = iter(created.json()["recovery_codes"])
        attackers = [_client(stack, rt, f"198.51.100.{n}") for n in (1, 2, 3)]
        password, tries = PASSWORD, []
        counted = 0
        for tick in range(0, HOURS * 3600, TICK):
            clock[0] = start + timedelta(seconds=tick)
            # The attackers poll; a 429 costs them nothing (it is not counted).
            for attacker in attackers:
                answer = attacker.post(
                    "/api/v1/session", json={"login": "amina.diallo", "password": WRONG}
                )
                assert answer.status_code in (401, 429)
                counted += answer.status_code == 401
            if tick and tick % 1200 == 0:  # the person comes every 20 minutes
                with_password = sign_in(library, password)
                password = f"une autre phrase assez longue {tick}"
                recovered = library.post(
                    "/api/v1/recovery",
                    json={"login": "amina.diallo", "code": next(codes), "new_password": password},
                ).status_code
                tries.append((with_password, recovered, sign_in(library, password)))
    # The attackers keep the account waiting: her password alone is refused. A recovery code
    # lets her in each time, and ends the wait: she signs in with her new password at once.
    assert counted > 30
    assert {with_password for with_password, _, _ in tries} == {429}
    assert [then for _, *then in tries] == [[204, 201]] * 5


def sign_in(client: TestClient, password: str) -> int:
    answer = client.post("/api/v1/session", json={"login": "amina.diallo", "password": password})
    return answer.status_code

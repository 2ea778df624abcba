"""Self sign-up is limited per address and per hour (COFFRE_SIGNUPS_PER_ADDRESS_PER_HOUR): each
costs a password hash. Past the limit, 429 with Retry-After and words a person can read, on the
API and on the page, before any hash is made."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.app_fixtures import PASSWORD
from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf
from vault.accounts import accounts, passwords
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime

LIMIT = 2


@pytest.fixture
def hashes(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords hashed for new accounts, counted."""
    made: list[str] = []
    real = passwords.hash_password

    def counted(password: str) -> str:
        made.append(password)
        return real(password)

    monkeypatch.setattr(accounts, "hash_password", counted)
    rt.settings.signups_per_address_per_hour = LIMIT
    return made


def api_sign_up(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    body = {"login": login, "display_name": login.replace(".", " ").title(), "password": password}
    return client.post("/api/v1/beneficiaries", json=body)


def people(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        return db.scalar(select(func.count()).select_from(Person)) or 0


def test_the_api_refuses_past_the_limit_before_any_hash(
    client: TestClient, rt: Runtime, hashes: list[str]
) -> None:
    # A sign-up refused for its fields hashed nothing: it is not counted.
    assert api_sign_up(client, "amina.diallo", "court").status_code == 422
    for login in ("amina.diallo", "bruno.martin"):
        assert api_sign_up(client, login).status_code == 201
    assert len(hashes) == LIMIT

    refused = api_sign_up(client, "chloe.petit")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert refused.json()["field"] is None
    assert "Beaucoup de coffres ont été créés depuis cette connexion" in refused.json()["detail"]
    assert len(hashes) == LIMIT  # refused before its password was hashed
    assert people(rt) == LIMIT


def test_another_address_has_its_own_count(
    client: TestClient, rt: Runtime, hashes: list[str]
) -> None:
    rt.settings.trusted_proxies = "10.0.0.0/8"
    proxied = TestClient(client.app, base_url="http://coffre.test", client=("10.0.0.1", 4000))
    for number in range(LIMIT):
        answer = proxied.post(
            "/api/v1/beneficiaries",
            json={"login": f"personne.{number}", "display_name": "P", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert answer.status_code == 201
    assert api_sign_up(client, "amina.diallo").status_code == 201


def test_a_counsellor_creating_an_account_is_not_limited(
    client: TestClient, rt: Runtime, hashes: list[str]
) -> None:
    from tests.app_fixtures import admin_headers, organisation, professional

    rt.settings.signups_per_address_per_hour = 0  # the admin and counsellor set-up below
    admin = admin_headers(client, rt)
    counsellor = professional(client, admin, organisation(client, admin), "claire.conseil")
    rt.settings.signups_per_address_per_hour = 1
    for number in range(2):
        answer = client.post(
            "/api/v1/beneficiaries",
            headers=counsellor["headers"],
            json={
                "login": f"personne.{number}",
                "display_name": "P",
                "password": PASSWORD,
                "consent": True,
            },
        )
        assert answer.status_code == 201, answer.text


def page_sign_up(client: TestClient, login: str, **headers: str) -> Any:
    token = form_csrf(client, "/inscription")
    return client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Fatou Sow",
            "login": login,
            "password": PASSWORD,
        },
        headers={**SAME_ORIGIN, **headers},
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", "Beaucoup de coffres ont été créés depuis cette connexion"),
        ("en", "Many safes have been created from this connection"),
    ],
)
def test_the_page_says_so_in_the_person_s_language(
    client: TestClient, rt: Runtime, hashes: list[str], language: str, words: str
) -> None:
    for number in range(LIMIT):
        assert api_sign_up(client, f"personne.{number}").status_code == 201
    refused = page_sign_up(client, "fatou.sow", **{"Accept-Language": language})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert words in refused.text
    assert 'value="fatou.sow"' in refused.text  # the form keeps what was typed
    assert len(hashes) == LIMIT
    assert people(rt) == LIMIT
